"""The soundness suite: certificates against ground truth (marker ``soundness``)."""
