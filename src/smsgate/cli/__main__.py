from smsgate.cli import main

raise SystemExit(main())
