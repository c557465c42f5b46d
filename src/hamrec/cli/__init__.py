"""argparse ``main()`` functions; only the training config imports from here (the argument types in ``args``)."""
