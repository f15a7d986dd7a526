"""Data access: loaders and writers for files (local, S3) and PostgreSQL tables,
credential resolution, safe paths, the DS-6 load check and row ids."""
