"""North Hertfordshire District Council: Social Media Acceptable Use Policy (003_71fb6ac4caab2d8f.txt)."""

from policy.presets import Preset, Rule

PRESET = Preset(
    slug="nhdc",
    name="North Hertfordshire District Council: Social Media Acceptable Use Policy",
    document="003_71fb6ac4caab2d8f.txt",
    settings={
        "organisation_name": "North Hertfordshire District Council",
        # staff by role title: the policy "aims to protect our employees, councillors and residents from
        # unacceptable use of social media"; it names roles, never people
        "subject_access_staff_names": False,
        "policy_url": "https://www.north-herts.gov.uk/social-media-acceptable-use-policy",
        "team_email": "communications@north-herts.gov.uk",
        # "We monitor our social media pages between 9am and 5pm Monday to Friday."
        "working_weekdays": [0, 1, 2, 3, 4],
        "opening_time": "09:00",
        "closing_time": "17:00",
        "bank_holidays": "ENG",
        # "We do not monitor or respond to posts outside of normal office working hours."
        "emergency_weekdays": [],
        "emergency_on_bank_holidays": False,
        # "We aim to initially respond to questions and requests for service within one working day."
        "first_response_working_days": 1,
        "signoff_due_working_days": 1,
        "acknowledgement_due_working_days": 2,
        "warning_lookback_months": 12,
        # "We may also report the matter to the Police ..." (the district's force)
        "police_force": "Hertfordshire Constabulary",
        "title_officer": "Communications officer",
        "title_manager": "Communications manager",
        "title_director": "Service director",
        "title_head": "Managing Director",
        # "... after consulting with the Communications Manager and/or the relevant Service Director."
        "warning_signoff": "manager_or_director",
        # "If unacceptable behaviour continues or is extreme, the Council will consider blocking ..."
        "warning_before_block": "advice",
        # "... the Communications team will record the decision and make the Managing Director aware."
        "head_informed_of_blocks": True,
        "head_acknowledges_blocks": True,
        # "After 12 months the owner of the account can appeal the decision to block."
        "appeals": True,
        "appeal_wait_after_upheld_months": 12,
        # "If the author wishes to challenge their ban, they should contact the council's Communications Team."
        "channel_ban_challenge_any_time": True,
        # "If unacceptable behaviour continues or is extreme, the Council will consider blocking the user ..."
        # (who decides is not named: the Communications Manager, as for warnings; see notes)
        "block_approval": "manager",
        # "We reserve the right to block any user from interacting with us on social media at any time."
        "immediate_block": "managers",
        # retention: the document names no period (the product's defaults; see docs/policies.md)
        "retention_evidence_months": 24,
        "retention_post_text_months": 12,
        "retention_uncased_post_months": 12,
        "retention_block_years": 6,
    },
    rules=(
        Rule(
            "abusive",
            "Rude, abusive, harassing or threatening",
            "Unacceptable behaviour includes (but is not limited to) abusive or bad language, degrading remarks, "
            "or attempts to provoke or upset other users.",
            severity=3,
        ),
        Rule("deceptive", "Deceptive or misleading", "are deceptive or misleading"),
        Rule(
            "discriminatory",
            "Sexist, racist or other unacceptable language",
            "use sexist, racist or other unacceptable language which are intended to cause concern / harm",
            severity=3,
            zero_tolerance=True,
        ),
        Rule("defamatory", "Defamatory or libellous", "are defamatory or libellous", severity=3),
        Rule("contempt-of-court", "May be in contempt of court", "may be in contempt of court", severity=3),
        Rule(
            "illegal",
            "Breaks the law or incites someone else to break the law",
            "break any other law or incite someone else to break the law",
            severity=3,
            suspected_offence=True,
        ),
        Rule(
            "inappropriate-material",
            "Inappropriate material (including images or video)",
            "contain inappropriate material (including images or video)",
        ),
        Rule("spam", "Spam", "are spam.", severity=1),
        Rule(
            "misinformation",
            "Misinformation or harmful content",
            "Comments, links or other content posted on any of our channels with the intent of spreading misleading "
            "or false information will be removed and the author banned from that channel. If the author wishes to "
            "challenge their ban, they should contact the council's Communications Team.",
            channel_only_ban=True,
            appeal_wait_months=0,
        ),
    ),
    notes=(
        "The policy sets no target for signing off a warning or for the Managing Director's acknowledgement: "
        "one and two working days are this product's defaults. "
        "It names no zero-tolerance category: discriminatory language is kept as zero tolerance (a block is "
        "recommended at once), reading 'Abuse will not be tolerated' with step 3's 'or is extreme'; untick it "
        "on the house rule to make a warning the first recommendation. "
        "It says the Managing Director is made aware of every block, not that they must acknowledge it: the "
        "acknowledgement is kept so that 'aware' is recorded. "
        "It gives a 12-month wait before an appeal but none after an appeal is turned down: 12 months again. "
        "It does not say how long a warning counts towards a block: 12 months, the same as the appeal wait. "
        "It does not name who approves a block ('the Council will consider blocking the user'): the "
        "Communications Manager, whom step 2 consults on warnings; 'We reserve the right to block any user ... "
        "at any time' is read as: the Communications Manager may block at once; officers propose a block. "
        "The messages to the account owner (the reply to an appeal made too early, the appeal's outcome and the "
        "channel-ban notice) are the product's defaults, worded from steps 3 and 4 and the misinformation "
        "paragraph. "
        "It sets no emergency cover ('We do not monitor or respond to posts outside of normal office working "
        "hours'), so none is configured. "
        "A police report is suggested for the 'break any other law' rule; the policy also allows one where "
        "behaviour amounts to abuse or harassment, which the Communications Manager can record on any case."
    ),
    demo={
        "channels": [
            {"name": "North Herts Council (Facebook)", "platform": "facebook", "handle": "northhertsdc"},
            {"name": "North Herts Council (X)", "platform": "x", "handle": "north_herts"},
            {"name": "North Herts Council (Instagram)", "platform": "instagram", "handle": "northhertsdc"},
        ],
        "service_areas": ["Waste and recycling", "Planning", "Parking", "Housing", "Leisure and culture"],
    },
)
