"""argparse ``main()`` functions only; nothing imports this package."""
