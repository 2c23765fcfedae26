from confmon.cli import main

raise SystemExit(main())
