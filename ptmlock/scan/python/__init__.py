"""Python value-following: from a loader call back to the literal that names its model."""
