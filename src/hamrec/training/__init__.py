"""One training run (``run``), the automation loop (``loop``) and its record (``summary``)."""
