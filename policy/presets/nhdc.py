"""North Hertfordshire District Council: Social Media Acceptable Use Policy (003_71fb6ac4caab2d8f.txt)."""

from policy.presets import Preset, Rule

PRESET = Preset(
    slug="nhdc",
    name="North Hertfordshire District Council: Social Media Acceptable Use Policy",
    document="003_71fb6ac4caab2d8f.txt",
    settings={
        "organisation_name": "North Hertfordshire District Council",
        "policy_url": "https://www.north-herts.gov.uk/social-media-acceptable-use-policy",
        "team_email": "communications@north-herts.gov.uk",
        # "We monitor our social media pages between 9am and 5pm Monday to Friday."
        "working_weekdays": [0, 1, 2, 3, 4],
        "opening_time": "09:00",
        "closing_time": "17:00",
        "bank_holidays": "ENG",
        # "We aim to initially respond to questions and requests for service within one working day."
        "first_response_working_days": 1,
        "signoff_due_working_days": 1,
        "acknowledgement_due_working_days": 2,
        "warning_lookback_months": 12,
        "police_force": "Hertfordshire Constabulary",
        "title_officer": "Communications officer",
        "title_manager": "Communications manager",
        "title_director": "Service director",
        "title_head": "Managing Director",
        "warning_signoff": "manager_or_director",
        "warning_before_block": "advice",
        "head_informed_of_blocks": True,
        "head_acknowledges_blocks": True,
        "appeals": True,
        "appeal_wait_after_upheld_months": 12,
        "channel_ban_challenge_any_time": True,
    },
    rules=(
        Rule(
            "abusive",
            "Rude, abusive, harassing or threatening",
            "Abusive or bad language, degrading remarks, threats, or attempts to provoke or upset other users.",
            severity=3,
        ),
        Rule(
            "deceptive",
            "Deceptive or misleading",
            "Posts that deliberately mislead, such as impersonating the council or a person.",
        ),
        Rule(
            "discriminatory",
            "Sexist, racist or other unacceptable language",
            "Language intended to cause concern or harm because of a protected characteristic. Zero tolerance: "
            "a block is recommended straight away.",
            severity=3,
            zero_tolerance=True,
        ),
        Rule(
            "defamatory",
            "Defamatory or libellous",
            "An accusation made against a named person, for example a member of staff or a councillor.",
            severity=3,
        ),
        Rule(
            "contempt-of-court",
            "May be in contempt of court",
            "Comment on active legal proceedings, or identifying people protected by the court.",
            severity=3,
        ),
        Rule(
            "illegal",
            "Breaks the law or incites someone else to break the law",
            "Consider a police report where a criminal offence is suspected.",
            severity=3,
            suspected_offence=True,
        ),
        Rule(
            "inappropriate-material",
            "Inappropriate material (including images or video)",
            "Obscene, violent or otherwise inappropriate images, video or links.",
        ),
        Rule("spam", "Spam", "Adverts, repeated off-topic posts, or persistent provocation.", severity=1),
        Rule(
            "misinformation",
            "Misinformation or harmful content",
            "Content posted to spread misleading or false information: removed and the author banned from that "
            "channel. The ban can be challenged at any time through the Communications Team.",
            channel_only_ban=True,
            appeal_wait_months=0,
        ),
    ),
    notes=(
        "The policy sets no target for signing off a warning or for the Managing Director's acknowledgement: "
        "one and two working days are this product's defaults."
    ),
)
