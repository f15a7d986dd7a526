"""The five operation types (operations.md), one module each: ``update``, ``delete``,
``aggregate``, ``append`` and ``output``; ``outcome`` is what each hands back to the pipeline."""
