"""The PySide6 desktop app. Only this package imports Qt; it talks to the core (``assist``)
through its public API, and runs every blocking call through ``ui.tasks.TaskRunner``."""
