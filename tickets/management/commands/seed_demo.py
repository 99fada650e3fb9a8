"""`manage.py seed_demo [--tickets N] [--seed S] [--if-empty]`: demo logins, groups, contacts and N more tickets."""

import random
import time

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils.translation import gettext, gettext_lazy

from tickets import hooks, seeding


class TextProgressBar:
    """`[#####     ] 50000/100000`, redrawn in place on a terminal; every 10% on a line of its own otherwise."""

    def __init__(self, stream: OutputWrapper, width: int = 30):
        self.stream = stream
        self.width = width
        self.interactive = stream.isatty()
        self.last_tenth = 0

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // total
        line = f"[{'#' * filled}{' ' * (self.width - filled)}] {done}/{total}"
        if self.interactive:
            self.stream.write(f"\r{line}", ending="\n" if done >= total else "")
            self.stream.flush()
        elif (tenth := 10 * done // total) > self.last_tenth or done >= total:
            self.last_tenth = tenth
            self.stream.write(line)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: argparse needs a real string, in the language active when it runs
        return gettext(
            "Seed demo data: the logins admin/admin and agent/agent plus more agents, three groups, contacts and "
            "N more tickets with conversations and audit events. Users and groups are reused on later runs."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets", type=int, default=40, help=gettext_lazy("How many tickets to add (default 40).")
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=seeding.DEFAULT_SEED,
            help=gettext_lazy("Random seed, for reproducible data (default fixed)."),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=seeding.DEFAULT_BATCH_SIZE,
            help=gettext_lazy("Tickets per bulk insert (default 2000)."),
        )
        parser.add_argument(
            "--if-empty", action="store_true", help=gettext_lazy("Do nothing when the database already has tickets.")
        )

    def handle(self, *args, tickets: int, seed: int, batch_size: int, if_empty: bool, **options):
        if tickets < 0:
            raise CommandError(gettext("--tickets must be 0 or more, got %(count)s.") % {"count": tickets})
        if batch_size < 1:
            raise CommandError(gettext("--batch-size must be 1 or more, got %(count)s.") % {"count": batch_size})
        if if_empty and seeding.tickets_exist():
            self.stdout.write(gettext("Tickets already exist, nothing seeded (--if-empty)."))
            return

        started = time.monotonic()
        rng = random.Random(seed)
        progress = TextProgressBar(self.stdout) if tickets > batch_size else None
        core = seeding.seed_core(tickets=tickets, rng=rng, batch_size=batch_size, progress=progress)
        extra = [line for _, seeder in hooks.registered_seeders() if (line := seeder(core, rng))]
        elapsed = time.monotonic() - started

        self.stdout.write(
            self.style.SUCCESS(
                gettext(
                    "Seeded %(tickets)s tickets, %(comments)s comments, %(events)s events, %(tags)s tags "
                    "and %(contacts)s contacts in %(seconds).1f s."
                )
                % {
                    "tickets": core.tickets,
                    "comments": core.comments,
                    "events": core.events,
                    "tags": core.tags,
                    "contacts": len(core.contacts),
                    "seconds": elapsed,
                }
            )
        )
        self.stdout.write(
            gettext("%(count)s agents in the groups %(groups)s.")
            % {"count": len(core.agents), "groups": ", ".join(core.groups)}
        )
        for line in extra:
            self.stdout.write(line)
        self.stdout.write(gettext("Log in with admin / admin (administrator) or agent / agent (Alex Agent)."))
