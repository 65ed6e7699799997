import sys

from spanhouse.cli import main

sys.exit(main())
