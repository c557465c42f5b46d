"""Recognising recordings with a saved model, evaluating it, and drawing the results."""
