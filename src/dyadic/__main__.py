"""``python -m dyadic``, and the file ``spark-submit`` runs for ``dyadic panel --engine spark`` on a cluster
(see docs/engines.md)."""

from dyadic.cli import main

if __name__ == "__main__":
    main()
