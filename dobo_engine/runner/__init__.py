"""Running Projects against the metadata store and real data: the IO edge around the pure engine."""
