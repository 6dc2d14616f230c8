"""Using trained models: a drawn input prepared like the training data, and what a classifier sees."""
