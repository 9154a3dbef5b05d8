"""Choosing and making labels without TensorFlow: which images to label next (`triage`),
and the pseudo-labels self-training learns from (`pseudo_labels`)."""
