from dreamfactory_studio.cli import main

raise SystemExit(main())
