"""Load demo data for a local run: a user per role and cases at every stage of the process.

Idempotent: users, channels and service areas are created once; the cases only when there are
none yet. With ``--policy SLUG`` (or ``POLICY=SLUG`` in the environment, as ``POLICY=hart make run``
passes it) the organisation's preset is applied first and the demo uses its channels, service areas
and house rules; a step of the story that its policy does not allow (a sign-off under Cafcass, an
appeal where there are none) is left out, and the output says so. Passwords are random, kept in
.local/demo-passwords.json so they stay the same from run to run, and printed. Refuses to run
unless DEBUG is on (never in production).
"""

from __future__ import annotations

import json
import os
import secrets
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from escalation import routing
from escalation import services as esc
from escalation.constants import BlockScope
from moderation import clock, safeguarding
from moderation import services as mod
from moderation.constants import CaseOutcome, FlagKind, Platform, PostKind, Priority, Visibility
from moderation.deadlines import office_hours
from moderation.models import Case, Channel, FlagRule, HouseRule, ServiceArea
from moderation.policy_presets import preset_apply
from policy import services as policy

USERS = [
    ("admin", "Ada", "Administrator", None),
    ("olivia", "Olivia", "Okafor", routing.OFFICER),
    ("oscar", "Oscar", "Owusu", routing.OFFICER),
    ("maya", "Maya", "Mistry", routing.MANAGER),
    ("sam", "Sam", "Sutherland", routing.SERVICE_DIRECTOR),
    ("martha", "Martha", "Marsh", routing.MANAGING_DIRECTOR),
    ("sophie", "Sophie", "Shah", routing.OFFICER),
]
# roles held beside the one above: Sophie is also the safeguarding lead (alerted, reads, refers)
EXTRA_ROLES = {"sophie": (routing.SAFEGUARDING_LEAD,)}
CHANNELS = [
    (Platform.FACEBOOK, "North Herts Council (Facebook)", "northhertsdc", "https://www.facebook.com/northhertsdc"),
    (Platform.X, "North Herts Council (X)", "north_herts", "https://x.com/north_herts"),
    (Platform.INSTAGRAM, "North Herts Council (Instagram)", "northhertsdc", "https://www.instagram.com/northhertsdc"),
]
AREAS = ["Waste and recycling", "Planning", "Parking", "Housing", "Leisure and culture"]
# a house rule the story cites that a preset does not have is stood in for by one of the same kind
STAND_INS = {
    "discriminatory": lambda rule: rule.zero_tolerance,
    "illegal": lambda rule: rule.suspected_offence,
    "misinformation": lambda rule: rule.channel_only_ban,
}


def demo_anchor() -> datetime:
    """The latest working day's 15:30 (London) before now: demo events happen in office hours."""
    hours = office_hours()
    now = clock.now()
    day = timezone.localdate(now)
    while True:
        anchor = timezone.make_aware(datetime.combine(day, time(15, 30)))
        if hours.is_working_day(day) and anchor <= now:
            return anchor
        day -= timedelta(days=1)


class Command(BaseCommand):
    help = "Load demo users, channels and cases at every stage (local runs only; idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--policy", default=os.environ.get("POLICY", ""), help="a preset: nhdc, hmcts, cafcass, hmpps or hart"
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo is for local runs only (DEBUG is off).")
        self.preset = None
        if options["policy"]:
            try:
                result = preset_apply(options["policy"].strip().lower())
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            self.preset = result.preset
            self.stdout.write(f"Policy: {result.preset.name} (version {result.version.number}).")
        users = self.users()
        channels = self.channels()
        areas = self.areas(users)
        if Case.objects.exists():
            self.stdout.write("Demo cases already loaded; nothing added.")
        else:
            with transaction.atomic():
                self.cases(users, channels, areas)
                self.safeguarding(users, channels)
                self.flagged_posts(users, channels)
            self.stdout.write(self.style.SUCCESS(f"Loaded {Case.objects.count()} demo cases."))
        self.print_logins()

    # --- people and configuration
    def passwords(self) -> dict[str, str]:
        path = Path(settings.DEMO_PASSWORDS_PATH)
        stored = json.loads(path.read_text()) if path.exists() else {}
        for username, *_ in USERS:
            stored.setdefault(username, secrets.token_urlsafe(9))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
        return stored

    def users(self) -> dict:
        passwords = self.passwords()
        User = get_user_model()
        users = {}
        for username, first, last, role in USERS:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@north-herts.example"},
            )
            # the admin is for administrators, the team and the Managing Director (appeal review);
            # a Service Director's work is all in the workspace
            user.is_staff = role != routing.SERVICE_DIRECTOR
            user.is_superuser = role is None
            user.set_password(passwords[username])
            user.save()
            for name in (role, *EXTRA_ROLES.get(username, ())):
                if name:
                    user.groups.add(Group.objects.get(name=name))
            users[username] = user
        self._passwords = passwords
        return users

    def channels(self) -> dict:
        """The story's Facebook, X and Instagram channels: the preset's own where it names them."""
        channels = {}
        named = (self.preset.demo.get("channels", []) if self.preset else []) or []
        for item in named:
            channel, _ = Channel.objects.get_or_create(
                platform=item["platform"], handle=item["handle"], defaults={"name": item["name"]}
            )
            channels.setdefault(item["platform"], channel)
        for platform, name, handle, url in CHANNELS:
            if platform not in channels:
                if self.preset:
                    name = f"{self.preset.settings.get('organisation_name', name)} ({platform.label})"
                channels[platform], _ = Channel.objects.get_or_create(
                    platform=platform, handle=handle, defaults={"name": name, "url": url}
                )
        return channels

    def areas(self, users) -> dict:
        """The story's service areas (by NHDC's names), each the preset's area in the same place."""
        names = (self.preset.demo.get("service_areas", []) if self.preset else []) or []
        for extra in names[len(AREAS) :]:
            ServiceArea.objects.get_or_create(name=extra)
        names = [*names, *AREAS[len(names) :]][: len(AREAS)]
        areas = {
            story: ServiceArea.objects.get_or_create(name=name)[0] for story, name in zip(AREAS, names, strict=True)
        }
        areas["Waste and recycling"].directors.add(users["sam"])
        areas["Planning"].directors.add(users["sam"])
        return areas

    def rules(self, codes: list[str]) -> list[HouseRule]:
        """The active house rules the story cites, or a stand-in of the same kind from the policy."""
        active = list(HouseRule.objects.filter(is_active=True))
        by_code = {rule.code: rule for rule in active}
        chosen: list[HouseRule] = []
        for code in codes:
            rule = by_code.get(code)
            if rule is None:
                same_kind = STAND_INS.get(code, lambda rule: False)
                rule = next((r for r in active if same_kind(r)), None) or by_code.get("abusive") or active[0]
            if rule not in chosen:
                chosen.append(rule)
        return chosen

    @contextmanager
    def step(self, label: str):
        """One step of the story, all or nothing: left out, and said so, when the policy refuses it."""
        try:
            with transaction.atomic():
                yield
        except (ValidationError, PermissionDenied) as error:
            reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            self.stdout.write(f"  Left out of the demo ({label}): {reason}")

    def print_logins(self) -> None:
        site = os.environ.get("SITE_URL", "http://127.0.0.1:8000/")
        self.stdout.write(f"\nDemo sign-ins (local only) at {site} (the admin at {site}admin/)")
        for username, _first, _last, role in USERS:
            roles = " + ".join((role, *EXTRA_ROLES.get(username, ()))) if role else "Administrator (superuser)"
            self.stdout.write(f"  {username:8} {self._passwords[username]:14} {roles}")
        self.stdout.write("")

    # --- cases at every stage, made through the services with the clock moved back
    def record(self, at, who, channel, handle, text, rules, reason, area=None, name="", priority=Priority.NORMAL):
        with clock.travel_to(at):
            return mod.case_record(
                actor=who,
                platform=channel.platform,
                handle=handle,
                display_name=name,
                posts=[
                    mod.PostData(
                        channel=channel,
                        posted_at=at - timedelta(minutes=40),
                        text=text,
                        external_id=f"demo-{secrets.token_hex(6)}",
                        kind=PostKind.COMMENT,
                    )
                ],
                rules=self.rules(rules),
                reason=reason,
                service_area=area,
                priority=priority,
            ).case

    def cases(self, u, ch, areas) -> None:
        now = demo_anchor()
        fb, x, ig = ch[Platform.FACEBOOK], ch[Platform.X], ch[Platform.INSTAGRAM]
        waste, planning, parking = areas["Waste and recycling"], areas["Planning"], areas["Parking"]

        # 1. Just recorded, nothing done yet.
        with self.step("1. Just recorded, nothing done yet"):
            self.record(
                now - timedelta(minutes=20),
                u["olivia"],
                fb,
                "@BinRage77",
                "Bin men are lazy scum, I know where the depot is and I'll sort them out myself.",
                ["abusive"],
                "Threat towards waste crews.",
                waste,
                "Gary Pike",
                Priority.HIGH,
            )
        # 2. Recorded days ago and not yet answered: overdue.
        with self.step("2. Recorded days ago and not yet answered: overdue"):
            self.record(
                now - timedelta(days=6),
                u["oscar"],
                x,
                "@parkingwarrior",
                "@north_herts your wardens are thieves in uniform #scam",
                ["abusive", "spam"],
                "Repeated insulting posts about civil enforcement officers.",
                parking,
                "Parking Warrior",
            )
        # 3. Post hidden, warning drafted.
        with self.step("3. Post hidden, warning drafted"):
            case = self.record(
                now - timedelta(hours=5),
                u["olivia"],
                fb,
                "karen.h.1962",
                "Typical council, full of foreigners who can't speak English.",
                ["discriminatory"],
                "Racist remark under the recycling-day post.",
                waste,
                "Karen H",
            )
            with clock.travel_to(now - timedelta(hours=4)):
                mod.post_set_visibility(actor=u["olivia"], post=case.posts.first(), visibility=Visibility.HIDDEN)
                esc.warning_draft(actor=u["olivia"], case=case)
        # 4. Warning waiting for sign-off (Planning: the manager or Sam may sign it off).
        with self.step("4. Warning waiting for sign-off (Planning: the manager or Sam may sign it off)"):
            case = self.record(
                now - timedelta(days=1, hours=2),
                u["oscar"],
                fb,
                "NimbyNigel",
                "The planning officer is obviously taking bribes from the developer.",
                ["defamatory"],
                "Accuses a named officer of corruption.",
                planning,
                "Nigel Brooks",
            )
            with clock.travel_to(now - timedelta(days=1)):
                mod.post_set_visibility(actor=u["oscar"], post=case.posts.first(), visibility=Visibility.HIDDEN)
                esc.warning_submit(actor=u["oscar"], warning=esc.warning_draft(actor=u["oscar"], case=case))
        # 5. Warned six months ago, offended again: block proposed, waiting for the manager.
        with self.step("5. Warned six months ago, offended again: block proposed, waiting for the manager"):
            first = self.record(
                now - timedelta(days=180),
                u["olivia"],
                x,
                "@angry_of_hitchin",
                "Councillors should be hanged, every last one.",
                ["abusive"],
                "Violent language about councillors.",
                None,
                "Angry of Hitchin",
            )
            self.warn(first, u["olivia"], u["maya"], now - timedelta(days=180))
            second = self.record(
                now - timedelta(hours=3),
                u["olivia"],
                x,
                "@angry_of_hitchin",
                "Told you lot before. Hang the lot of them.",
                ["abusive"],
                "Second offence after a written warning.",
                None,
                "Angry of Hitchin",
            )
            with clock.travel_to(now - timedelta(hours=2)):
                mod.post_set_visibility(actor=u["olivia"], post=second.posts.first(), visibility=Visibility.DELETED)
                esc.block_propose(
                    actor=u["olivia"],
                    case=second,
                    scope=BlockScope.ALL,
                    reason="Continued abuse six months after a written warning.",
                )
        # 6. Blocked last week, the Managing Director has not acknowledged yet.
        with self.step("6. Blocked last week, the Managing Director has not acknowledged yet"):
            case = self.record(
                now - timedelta(days=9),
                u["oscar"],
                ig,
                "troll_factory_uk",
                "Posting the home address of your housing officer: …",
                ["illegal", "abusive"],
                "Doxxing a member of staff.",
                areas["Housing"],
                "Troll Factory",
            )
            with clock.travel_to(now - timedelta(days=8)):
                mod.post_set_visibility(actor=u["oscar"], post=case.posts.first(), visibility=Visibility.DELETED)
                block = esc.block_immediate(
                    actor=u["maya"],
                    case=case,
                    scope=BlockScope.ALL,
                    reason="Published a member of staff's home address.",
                )
                esc.police_report_record(
                    actor=u["maya"],
                    case=case,
                    block=block,
                    force=policy.current().police_force,
                    reference="41/98765/26",
                    reported_on=(now - timedelta(days=8)).date(),
                )
        # 7. Blocked 13 months ago and acknowledged: the scheduled task flags its appeal window.
        with self.step("7. Blocked 13 months ago and acknowledged: the scheduled task flags its appeal window"):
            self.old_block(u, fb, now - timedelta(days=396), "repeat_offender_99", "Repeat Offender")
        # 8. Blocked three months ago; an appeal arrived too early.
        with self.step("8. Blocked three months ago; an appeal arrived too early"):
            block = self.old_block(u, x, now - timedelta(days=90), "@early_bird_appeals", "Early Bird")
            with clock.travel_to(now - timedelta(days=2)):
                esc.appeal_record(
                    actor=u["oscar"],
                    block=block,
                    received_via="Direct message",
                    grounds="I have changed, please unblock me.",
                )
        # 9. Blocked 14 months ago; appeal with the Managing Director now.
        with self.step("9. Blocked 14 months ago; appeal with the Managing Director now"):
            block = self.old_block(u, fb, now - timedelta(days=430), "reformed_rob", "Rob Fletcher")
            with clock.travel_to(now - timedelta(days=1)):
                esc.appeal_record(
                    actor=u["olivia"],
                    block=block,
                    received_via="Email to the Communications Team",
                    grounds="It has been over a year. I apologise for what I wrote and would like to "
                    "take part in the bin-collection consultation.",
                )
        # 10. Misinformation: removed and banned from that channel, can be challenged at once.
        with self.step("10. Misinformation: removed and banned from that channel, can be challenged at once"):
            case = self.record(
                now - timedelta(days=3),
                u["oscar"],
                fb,
                "truth_seeker_herts",
                "The council is putting chemicals in the tap water to control us. Share!",
                ["misinformation"],
                "False public-health claim under the water-safety post.",
                None,
                "Truth Seeker",
            )
            with clock.travel_to(now - timedelta(days=3) + timedelta(minutes=30)):
                esc.channel_ban(actor=u["oscar"], case=case, reason="Spreading false public-health information.")
                mod.case_close(
                    actor=u["oscar"], case=case, outcome=CaseOutcome.BANNED_FROM_CHANNEL, note="Removed and banned."
                )
        # 11. Closed with no further action.
        with self.step("11. Closed with no further action"):
            case = self.record(
                now - timedelta(days=12),
                u["olivia"],
                fb,
                "grumpy_gran",
                "Absolute shambles, the bins were late AGAIN.",
                ["abusive"],
                "Reported by a resident; on review it is fair criticism.",
                waste,
                "Jean Smith",
            )
            with clock.travel_to(now - timedelta(days=11)):
                mod.case_close(
                    actor=u["maya"],
                    case=case,
                    outcome=CaseOutcome.NO_ACTION,
                    note="Frustrated but not abusive: no action.",
                )
        # 12. A warning returned to its drafter: the Service Director refused the sign-off.
        with self.step("12. A warning returned to its drafter: the Service Director refused the sign-off"):
            case = self.record(
                now - timedelta(days=2, hours=3),
                u["oscar"],
                fb,
                "planning_pete",
                "Whoever approved the car park extension should be sacked, they are clueless.",
                ["abusive"],
                "Insulting remark about planning officers.",
                planning,
                "Pete Walker",
            )
            with clock.travel_to(now - timedelta(days=2, hours=2)):
                signoff = esc.warning_submit(actor=u["oscar"], warning=esc.warning_draft(actor=u["oscar"], case=case))
            with clock.travel_to(now - timedelta(days=2)):
                esc.signoff_decide(
                    actor=u["sam"],
                    signoff=signoff,
                    approve=False,
                    reason="Robust criticism of a decision is allowed: reply with the facts instead of warning.",
                )
        # 13. A block proposal the Communications Manager refused: warn first.
        with self.step("13. A block proposal the Communications Manager refused: warn first"):
            case = self.record(
                now - timedelta(days=4),
                u["olivia"],
                x,
                "@first_timer_22",
                "This council is a joke and so are you.",
                ["abusive"],
                "Rude reply to the council's post.",
                None,
                "First Timer",
            )
            with clock.travel_to(now - timedelta(days=4) + timedelta(hours=1)):
                block = esc.block_propose(
                    actor=u["olivia"], case=case, scope=BlockScope.ALL, reason="Rude and abusive."
                )
            with clock.travel_to(now - timedelta(days=3)):
                esc.signoff_decide(
                    actor=u["maya"],
                    signoff=block.signoffs.get(),
                    approve=False,
                    reason="No warning on record: the policy asks us to warn first.",
                )
        # 14. An appeal upheld by the Managing Director: the next one opens a year after the decision.
        with self.step("14. An appeal upheld by the Managing Director: the next one opens a year after the decision"):
            block = self.old_block(u, x, now - timedelta(days=500), "@still_angry_steve", "Steve")
            with clock.travel_to(now - timedelta(days=60)):
                appeal = esc.appeal_record(
                    actor=u["oscar"], block=block, received_via="Email", grounds="Unblock me, it's been a year."
                )
            with clock.travel_to(now - timedelta(days=58)):
                esc.appeal_decide(
                    actor=u["martha"],
                    appeal=appeal,
                    overturn=False,
                    reason="Abusive emails continued while blocked; the block stays.",
                )
        # 15. An appeal overturned: the block lifted and undone on the platform.
        with self.step("15. An appeal overturned: the block lifted and undone on the platform"):
            block = self.old_block(u, ig, now - timedelta(days=420), "changed_charlie", "Charlie Dunn")
            with clock.travel_to(now - timedelta(days=20)):
                appeal = esc.appeal_record(
                    actor=u["olivia"],
                    block=block,
                    received_via="Direct message",
                    grounds="I was going through a hard time. I'm sorry and it won't happen again.",
                )
            with clock.travel_to(now - timedelta(days=19)):
                esc.appeal_decide(
                    actor=u["martha"],
                    appeal=appeal,
                    overturn=True,
                    reason="Sincere apology and a year without incident.",
                )
            with clock.travel_to(now - timedelta(days=18)):
                esc.block_undone_on_platform(actor=u["olivia"], block=block)

    def safeguarding(self, u, ch) -> None:
        """A safeguarding case recorded half an hour ago (whatever the day or hour), waiting for the
        lead: recorded under the policy's safeguarding rule where it has one (Cafcass, HMPPS, Hart),
        else marked by the officer after recording (NHDC's rules have none)."""
        marked_by_rule = [rule for rule in HouseRule.objects.filter(is_active=True) if rule.safeguarding][:1]
        with self.step("Safeguarding case waiting for the lead"):
            case = self.record(
                clock.now() - timedelta(minutes=30),
                u["olivia"],
                ch[Platform.FACEBOOK],
                "@quiet_one_17",
                "nobody would notice if I wasn't here anymore. I've been saving my tablets",
                [rule.code for rule in marked_by_rule] or ["abusive"],
                "Reply to our mental-health awareness post: a risk to the author.",
                name="Quiet One",
            )
            if not marked_by_rule:
                with clock.travel_to(clock.now() - timedelta(minutes=28)):
                    safeguarding.case_mark_safeguarding(
                        actor=u["olivia"], case=case, reason="The author says they may end their life."
                    )

    def flagged_posts(self, u, ch) -> None:
        """Automatic flag rules, and posts pushed by a social-media tool that they flag."""
        abusive, spam = self.rules(["abusive"])[0], self.rules(["spam"])[0]
        rules = [
            ("Obscenities and insults", FlagKind.WORD_LIST, abusive, {"terms": "idiot\nidiots\nscum\nmorons"}),
            ("UK phone numbers", FlagKind.PHONE_NUMBER, abusive, {}),
            ("Email addresses", FlagKind.EMAIL_ADDRESS, abusive, {}),
            ("Repeat contact", FlagKind.REPEAT_CONTACT, spam, {"repeat_threshold": 3, "repeat_window_minutes": 10}),
        ]
        for name, kind, house_rule, extra in rules:
            FlagRule.objects.get_or_create(name=name, defaults={"kind": kind, "house_rule": house_rule, **extra})
        fb = ch[Platform.FACEBOOK]
        integration, _ = mod.integration_create(actor=u["admin"], name="Demo social media tool", channels=[fb])
        now = clock.now()
        items = [
            ("5501", "bin_watcher", "Only idiots would put the recycling out on a Sunday."),
            ("5502", "helpful_harry", "My neighbour's number is 07911 123456 if the crew need access."),
            ("5503", "spammy_sam", "Cheap loans! Visit my page"),
            ("5504", "spammy_sam", "Cheap loans! Visit my page now"),
            ("5505", "spammy_sam", "Cheap loans!!! Visit my page today"),
            ("5506", "happy_resident", "Thanks for collecting the garden waste so quickly."),
        ]
        mod.posts_ingest(
            integration=integration,
            items=[
                {
                    "channel": fb.handle,
                    "external_id": f"demo-{ext}",
                    "author_handle": handle,
                    "text": text,
                    "posted_at": (now - timedelta(minutes=30 - i)).isoformat(),
                }
                for i, (ext, handle, text) in enumerate(items)
            ],
        )

    def warn(self, case, drafter, manager, at) -> None:
        with clock.travel_to(at + timedelta(minutes=30)):
            mod.post_set_visibility(actor=drafter, post=case.posts.first(), visibility=Visibility.HIDDEN)
            warning = esc.warning_draft(actor=drafter, case=case)
        if routing.warnings_need_signoff():
            with clock.travel_to(at + timedelta(minutes=40)):
                signoff = esc.warning_submit(actor=drafter, warning=warning)
            with clock.travel_to(at + timedelta(hours=2)):
                esc.signoff_decide(actor=manager, signoff=signoff, approve=True)
        with clock.travel_to(at + timedelta(hours=3)):
            esc.warning_mark_sent(actor=drafter, warning=warning)
            mod.case_close(actor=drafter, case=case, outcome=CaseOutcome.WARNED, note="Warning sent by direct message.")

    def old_block(self, u, channel, started, handle, name):
        first = self.record(
            started - timedelta(days=60),
            u["olivia"],
            channel,
            handle,
            "You're all useless, I hope you get what's coming.",
            ["abusive"],
            "Abusive reply to a resident.",
            None,
            name,
        )
        self.warn(first, u["olivia"], u["maya"], started - timedelta(days=60))
        case = self.record(
            started - timedelta(hours=4),
            u["olivia"],
            channel,
            handle,
            "Still useless. I'll keep posting until someone gets hurt.",
            ["abusive"],
            "Continued abuse after a warning.",
            None,
            name,
        )
        with clock.travel_to(started - timedelta(hours=3)):
            block = esc.block_propose(
                actor=u["olivia"], case=case, scope=BlockScope.ALL, reason="Continued abuse after a written warning."
            )
        with clock.travel_to(started):
            esc.signoff_decide(actor=u["maya"], signoff=block.signoffs.get(), approve=True)
        with clock.travel_to(started + timedelta(days=1)):
            block.refresh_from_db()
            esc.block_notify_managing_director(block_id=block.pk)
            esc.block_acknowledge(actor=u["martha"], block=block)
            mod.case_close(actor=u["olivia"], case=case, outcome=CaseOutcome.BLOCKED, note="Blocked on all channels.")
        return block
