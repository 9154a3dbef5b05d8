"""The facts every layer reads, defined once: the vocabulary (text <-> class ids, the blank),
the config and its normalisation, the export variants, the model card, the shipped files,
the extras, the run folder's file names. Standard library only; no NumPy, no TensorFlow."""
