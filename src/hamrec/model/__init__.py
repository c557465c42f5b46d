"""The recognizer: Keras 3 layers (backend-agnostic ``keras.ops``), builder, saving with metadata."""
