"""Subcommands of the `marac-prep` command line, one module each, registered in this order."""

# Each module has `register(subparsers)`; it adds its parser with a `handler(ctx, args)` default.
COMMAND_MODULES = (
    "marac_prep.commands.agency",
    "marac_prep.commands.demo",
    "marac_prep.commands.meeting",
    "marac_prep.commands.user",
    "marac_prep.commands.screenshot",
    "marac_prep.commands.gaps",
    "marac_prep.commands.people",
    "marac_prep.commands.pack",
    "marac_prep.commands.importing",
    "marac_prep.commands.export",
    "marac_prep.commands.templates",
    "marac_prep.commands.audit",
    "marac_prep.commands.backup",
    "marac_prep.commands.settings",
    "marac_prep.commands.actions",
    "marac_prep.commands.minutes",
    "marac_prep.commands.stats",
)
