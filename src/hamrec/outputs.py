"""The names of a hamrec model's outputs, importable without Keras (the ONNX runtime reads them too)."""

#: the class probabilities (B, C); a model without heads or open-set answer has this output only
CLASSES = "classes"
#: the phonological heads: this prefix + the parameter's name, each (B, values)
HEAD = "param_"
#: the "known sign" score (B,) a delivered model carries (:class:`hamrec.model.layers.ClassDistance`)
KNOWN = "known"
