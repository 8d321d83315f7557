from newsdesk.cli import main

# main() returns the exit code of commands that call ctx.exit(n) (e.g. `index verify`).
raise SystemExit(main())
