"""The catalogue: a static HTML site of a blueprint (``usm-config docs``)."""
