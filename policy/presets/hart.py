"""Hart District Council: Social media policy 2024-27 (004_33dc41cba4d1c21d.txt)."""

from policy.presets import Preset, Rule

WARNING = """Hello {{ name }},

We have {{ action }} your {{ post_kind }} on our {{ channel }} page because it breaks our social media \
house rules: {{ rules }}.

We're here to help in any way that we can, but we expect the public to offer us the same level of courtesy \
that we offer them. You can read our house rules in our social media policy: {{ policy_url }}

If you repeatedly engage with us in this way, we will block you and/or report you to the social media \
platform.

{{ organisation }} Communications team"""

# The house rules say Hart will "block and/or report" those who repeatedly break them; the document says
# nothing about appeals or channel bans: these keep the product's process (see notes).
PREMATURE_APPEAL = """Hello {{ name }},

Thank you for asking us to reconsider our decision to block you from interacting with us on {{ where }}, \
which we received on {{ received_on }}.

We can consider a request to reverse this block from {{ opens_on }}: please contact us again from that date.

Our social media policy and house rules: {{ policy_url }}

{{ organisation }} Communications team"""

APPEAL_UPHELD = """Hello {{ name }},

We have considered your request to reverse our decision to block you from interacting with us on \
{{ where }}. The block stays in place. You can ask us again from {{ next_appeal_on }}.

Our social media policy and house rules: {{ policy_url }}

{{ organisation }} Communications team"""

APPEAL_OVERTURNED = """Hello {{ name }},

We have considered your request to reverse our decision to block you from interacting with us on \
{{ where }}. The block is lifted. We expect the public to offer us the same level of courtesy that we \
offer them: please keep to our house rules: {{ policy_url }}

{{ organisation }} Communications team"""

CHANNEL_BAN = """Hello {{ name }},

We have removed your {{ post_kind }} on our {{ channel }} page and blocked you from that page because it \
breaks our social media house rules: {{ rules }}.

If you wish to challenge this, contact the Communications team at {{ team_email }}.

Our social media policy and house rules: {{ policy_url }}

{{ organisation }} Communications team"""

PRESET = Preset(
    slug="hart",
    name="Hart District Council: Social media policy 2024-27",
    document="004_33dc41cba4d1c21d.txt",
    settings={
        "organisation_name": "Hart District Council",
        # staff by role title: officers must not be "identifying or disclosing personal information of staff,
        # third parties or customers without their consent"
        "subject_access_staff_names": False,
        # the document gives no address of its own: the council's website (see notes)
        "policy_url": "https://www.hart.gov.uk",
        # "... by contacting the Communications team at communications@hart.gov.uk"
        "team_email": "communications@hart.gov.uk",
        # "We monitor social media regularly throughout the working day ..." (no hours given: see notes)
        "working_weekdays": [0, 1, 2, 3, 4],
        "opening_time": "09:00",
        "closing_time": "17:00",
        "bank_holidays": "ENG",
        # "We monitor social media over weekends and bank holidays for emergencies."
        "emergency_weekdays": [0, 1, 2, 3, 4, 5, 6],
        "emergency_on_bank_holidays": True,
        "emergency_opening_time": "09:00",
        "emergency_closing_time": "17:00",
        # "... will respond as soon as we can." (no target)
        "first_response_working_days": 1,
        "signoff_due_working_days": 1,
        "acknowledgement_due_working_days": 2,
        "warning_lookback_months": 12,
        # Hart is in north-east Hampshire
        "police_force": "Hampshire and Isle of Wight Constabulary",
        "warning_signoff": "manager",
        # "We will block and/or report ... anyone who repeatedly engages with us using content or language
        # which falls into the above categories."
        "warning_before_block": "advice",
        "head_informed_of_blocks": True,
        "head_acknowledges_blocks": False,
        "appeals": True,
        "appeal_wait_after_upheld_months": 12,
        "channel_ban_challenge_any_time": True,
        "warning_template": WARNING,
        "premature_appeal_template": PREMATURE_APPEAL,
        "appeal_upheld_template": APPEAL_UPHELD,
        "appeal_overturned_template": APPEAL_OVERTURNED,
        "channel_ban_template": CHANNEL_BAN,
        # silent on who approves a block or may block at once: the product's defaults (see notes)
        "block_approval": "manager",
        "immediate_block": "managers",
        # "we will protect privacy at all times": no period is named (the product's defaults)
        "retention_evidence_months": 24,
        "retention_post_text_months": 12,
        "retention_uncased_post_months": 12,
        "retention_block_years": 6,
    },
    rules=(
        # Appendix A: social media house rules
        Rule(
            "platform-terms",
            "Breaks the platform's terms of use",
            "All individuals must comply with the social media platform's terms of use",
            severity=1,
        ),
        Rule(
            "discriminatory",
            "Inappropriate or discriminatory",
            "We will remove, in whole or in part, posts that we feel are inappropriate or discriminatory against any "
            "individual or group",
            severity=3,
        ),
        Rule("abusive", "Abusive or obscene", "abusive or obscene", severity=3),
        Rule("deceptive", "Deceptive or misleading", "deceptive or misleading"),
        Rule(
            "spam",
            "Spam: persistent negative or abusive posting to provoke a response",
            "spam. We interpret this as persistent negative and/or abusive tweeting in which the aim is to provoke a "
            "response",
            severity=1,
        ),
        Rule(
            "intellectual-property",
            "Breaks intellectual property rights, including copyright",
            "in violation of any intellectual property rights, including copyright",
        ),
        Rule(
            "illegal",
            "Breaks a law or regulation",
            "in violation of any law or regulation",
            severity=3,
            suspected_offence=True,
        ),
        # 4. Service standards: pre-election period
        Rule(
            "party-political",
            "Party-political response (pre-election period)",
            "We will continue to publish important service announcements but may have to remove responses if they "
            "are political-party specific.",
            severity=1,
            party_political=True,
        ),
        # 6. Officer conduct on social media
        Rule(
            "safeguarding",
            "Safeguarding concern",
            "Safeguarding issues are paramount because social media sites are often misused by offenders. "
            "Safeguarding is everyone's business. If officers have any concerns about other site users, they have a "
            "responsibility to report these to the appropriate agency.",
            severity=3,
            safeguarding=True,
        ),
    ),
    notes=(
        "The document gives no web address of its own: the policy link is the council's website; set it to "
        "the social media policy page before warnings go out. Its complaints, contact and privacy pages are "
        "named without addresses: set them in the admin. "
        "It gives no office hours ('throughout the working day') and no response target ('as soon as we can'): "
        "9am to 5pm, Monday to Friday, England and Wales bank holidays, and one working day, the product's "
        "defaults. "
        "'We monitor social media over weekends and bank holidays for emergencies': the emergency calendar "
        "covers every day of the week including bank holidays; the document gives no hours, so 9am to 5pm. "
        "The house rules say Hart will block and/or report anyone who 'repeatedly engages' in breaking them; "
        "they do not require a written warning first, so a warning is advised, not required, and the template "
        "says what repeating it leads to. "
        "It says nothing about who signs off a warning or approves a block, nor about appeals: the "
        "Communications Manager signs off warnings and approves blocks, the head of the organisation is told "
        "of each block (no acknowledgement required), and an appeal is heard 12 months after a block, as NHDC's; "
        "Hart's Policy on Unreasonable Customer Behaviour may say more. Only the Communications Manager may "
        "block at once. The messages to the account owner about an appeal or a channel ban are written in the "
        "house rules' voice; no house rule bans from one channel only, so the channel-ban notice is used only if "
        "the team marks a rule so. "
        "It names no roles beyond the Communications team: role titles are the product's defaults; set them to "
        "Hart's own (for example Chief Executive) in the admin. "
        "It does not say how long a warning counts: 12 months. The police force is Hampshire and Isle of Wight "
        "Constabulary, Hart's force. "
        "Safeguarding is written as officers' duty to report concerns about site users to the appropriate "
        "agency; the rule marks such a case as safeguarding. "
        "Party-political responses may be removed during a pre-election period; the product does not yet know "
        "when one is running, so the rule applies whenever the team cites it."
    ),
    demo={
        # section 1 names Facebook, X, Instagram, LinkedIn, YouTube and a separate YouTube channel for
        # live-streamed council meetings; the handles are illustrative
        "channels": [
            {"name": "Hart District Council (Facebook)", "platform": "facebook", "handle": "hartdistrictcouncil"},
            {"name": "Hart District Council (X)", "platform": "x", "handle": "HartDC"},
            {"name": "Hart District Council (Instagram)", "platform": "instagram", "handle": "hartdistrictcouncil"},
            {"name": "Hart District Council (LinkedIn)", "platform": "linkedin", "handle": "hart-district-council"},
            {"name": "Hart District Council (YouTube)", "platform": "youtube", "handle": "hartdistrictcouncil"},
            {"name": "Hart council meetings (YouTube)", "platform": "youtube", "handle": "hartcouncilmeetings"},
        ],
        "service_areas": [
            "Planning",
            "Waste and recycling",
            "Council tax and benefits",
            "Housing",
            "Environmental health",
            "Leisure and countryside",
            "Elections",
        ],
    },
)
