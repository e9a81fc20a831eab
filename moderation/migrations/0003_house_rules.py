"""Seed the house rules from NHDC's "Dealing with unacceptable behaviour" list.

Discriminatory language is zero-tolerance (HMPPS); misinformation bans from one channel only
and can be challenged at once (NHDC).
"""

from django.db import migrations

RULES = [
    (
        "abusive",
        "Rude, abusive, harassing or threatening",
        3,
        False,
        False,
        12,
        "Abusive or bad language, degrading remarks, threats, or attempts to provoke or upset other users.",
    ),
    (
        "deceptive",
        "Deceptive or misleading",
        2,
        False,
        False,
        12,
        "Posts that deliberately mislead, such as impersonating the council or a person.",
    ),
    (
        "discriminatory",
        "Sexist, racist or other unacceptable language",
        3,
        True,
        False,
        12,
        "Language intended to cause concern or harm because of a protected characteristic. Zero tolerance: "
        "a block is recommended straight away.",
    ),
    (
        "defamatory",
        "Defamatory or libellous",
        3,
        False,
        False,
        12,
        "An accusation made against a named person, for example a member of staff or a councillor.",
    ),
    (
        "contempt-of-court",
        "May be in contempt of court",
        3,
        False,
        False,
        12,
        "Comment on active legal proceedings, or identifying people protected by the court.",
    ),
    (
        "illegal",
        "Breaks the law or incites someone else to break the law",
        3,
        False,
        False,
        12,
        "Consider a police report where a criminal offence is suspected.",
    ),
    (
        "inappropriate-material",
        "Inappropriate material (including images or video)",
        2,
        False,
        False,
        12,
        "Obscene, violent or otherwise inappropriate images, video or links.",
    ),
    ("spam", "Spam", 1, False, False, 12, "Adverts, repeated off-topic posts, or persistent provocation."),
    (
        "misinformation",
        "Misinformation or harmful content",
        2,
        False,
        True,
        0,
        "Content posted to spread misleading or false information: removed and the author banned from that "
        "channel. The ban can be challenged at any time through the Communications Team.",
    ),
]


def seed(apps, schema_editor):
    HouseRule = apps.get_model("moderation", "HouseRule")
    for position, (code, title, severity, zero, channel_only, wait, guidance) in enumerate(RULES, start=1):
        HouseRule.objects.update_or_create(
            code=code,
            defaults={
                "title": title,
                "severity": severity,
                "zero_tolerance": zero,
                "channel_only_ban": channel_only,
                "appeal_wait_months": wait,
                "guidance": guidance,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_event_log_append_only")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
