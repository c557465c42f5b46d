"""hamrec: automated training and inference for sign-language recognition from motion.

Signs are labelled with glosses and HamNoSys. Importing this package is cheap: Keras and
torch are imported only by the modules that need them (model, training, inference).
"""

__version__ = "0.1.0"
