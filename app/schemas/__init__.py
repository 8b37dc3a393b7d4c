"""Request and response models of the API, one module per area; their building blocks are in app.types."""
