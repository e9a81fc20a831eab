"""HM Courts & Tribunals Service: Social media use (000_e5ed160b32615dce.txt)."""

from policy.presets import Preset, Rule

GOV_UK_PAGE = "https://www.gov.uk/government/organisations/hm-courts-and-tribunals-service"

WARNING = """Hello {{ name }},

We have {{ action }} your {{ post_kind }} on our {{ channel }} account because it breaks the terms of use \
of our social media channels: {{ rules }}.

You can read how we use and moderate our social media channels here: {{ policy_url }}

If you need help with a court or tribunal matter, please contact us by private message, phone or email \
rather than posting personal details publicly. If this continues we may block you from interacting with \
our social media channels.

{{ organisation }}"""

# The document says nothing about blocks, appeals or channel bans: these keep the product's process
# (see notes) in the document's own voice ("how we use and moderate our social media channels").
PREMATURE_APPEAL = """Hello {{ name }},

Thank you for your message asking us to reconsider our decision to block you from interacting with \
{{ where }}, which we received on {{ received_on }}.

We can consider a request to reverse this block from {{ opens_on }}: please contact us again from that date.

You can read how we use and moderate our social media channels here: {{ policy_url }}

{{ organisation }}"""

APPEAL_UPHELD = """Hello {{ name }},

We have considered your request to reverse our decision to block you from interacting with {{ where }}. \
The block stays in place. You can ask us again from {{ next_appeal_on }}.

You can read how we use and moderate our social media channels here: {{ policy_url }}

{{ organisation }}"""

APPEAL_OVERTURNED = """Hello {{ name }},

We have considered your request to reverse our decision to block you from interacting with {{ where }}. \
The block is lifted and you can interact with our social media channels again.

You can read how we use and moderate our social media channels here: {{ policy_url }}

{{ organisation }}"""

CHANNEL_BAN = """Hello {{ name }},

We have removed your {{ post_kind }} on our {{ channel }} account and blocked you from that account: \
{{ rules }}.

If you wish to challenge this, contact us: {{ team_email }}

You can read how we use and moderate our social media channels here: {{ policy_url }}

{{ organisation }}"""

PRESET = Preset(
    slug="hmcts",
    name="HM Courts & Tribunals Service: Social media use",
    document="000_e5ed160b32615dce.txt",
    settings={
        "organisation_name": "HM Courts & Tribunals Service",
        # staff by role title: the document removes "content that actively and obviously identifies individual
        # HMCTS staff members without their consent"
        "subject_access_staff_names": False,
        # the document as saved gives no address of its own: HMCTS's GOV.UK page (see notes)
        "policy_url": GOV_UK_PAGE,
        # "Go to our GOV.UK page for information on how to contact us for official correspondence."
        "contact_url": GOV_UK_PAGE,
        # "... during office hours, Monday to Friday 9am to 5pm."
        "working_weekdays": [0, 1, 2, 3, 4],
        "opening_time": "09:00",
        "closing_time": "17:00",
        "bank_holidays": "ENG",
        # "We'll deal with enquiries sent outside of this time as soon as possible when working hours resume."
        "emergency_weekdays": [],
        "emergency_on_bank_holidays": False,
        # "We'll do our best to respond to your enquiries within two working days ..."
        "first_response_working_days": 2,
        "signoff_due_working_days": 1,
        "acknowledgement_due_working_days": 2,
        "warning_lookback_months": 12,
        "police_force": "Metropolitan Police Service",
        # silent on who signs off: the communications manager (HMCTS has no service directors in this sense)
        "warning_signoff": "manager",
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
        # "we may keep a record of the text of online conversation for training and reporting purposes":
        # a year of reports, then the text goes; no period is named (the product's defaults)
        "retention_evidence_months": 24,
        "retention_post_text_months": 12,
        "retention_uncased_post_months": 12,
        "retention_block_years": 6,
    },
    rules=(
        Rule(
            "abusive",
            "Threatening, offensive or abusive",
            "threatening, offensive or abusive language or content",
            severity=3,
        ),
        Rule(
            "illegal",
            "Breaks a law or regulation",
            "posts that violate a law or regulation such as content condoning or encouraging illegal activity, "
            "revealing classified information, or infringing on a copyright or trademark",
            severity=3,
            suspected_offence=True,
        ),
        Rule(
            "discriminatory",
            "Discriminates against a person or group",
            "content that discriminates against an individual or group based on age, disability, gender "
            "reassignment, pregnancy and maternity, race, religion or belief, sex and sexual orientation",
            severity=3,
        ),
        Rule(
            "personal-information",
            "Personal information",
            "personal information such as telephone numbers or address details (we do not keep a record of deleted "
            "personal information)",
            redact_on_delete=True,
        ),
        Rule(
            "identifying-staff",
            "Identifies staff without their consent",
            "content that actively and obviously identifies individual HMCTS staff members without their consent",
            severity=3,
        ),
        Rule(
            "advertising",
            "Adverts, donations or money",
            "content that advertises a commercial product or service or asks for donations or any kind of money",
            severity=1,
        ),
        Rule(
            "spam",
            "Spam or persistent provocation",
            "content considered to be spam (including persistent negative and/or abusive tweeting where the aim is "
            "to provoke a response)",
            severity=1,
        ),
        Rule(
            "party-political",
            "Party politics",
            "cannot engage on issues of party politics or break the rules of the Civil Service Code",
            severity=1,
            party_political=True,
        ),
    ),
    notes=(
        "The document as saved gives no web address of its own: the policy link is HMCTS's GOV.UK page; set it "
        "to the 'Social media use' page before warnings go out. It names a complaints page and a personal "
        "information charter without their addresses, and no team mailbox: those are left as they were (set "
        "them in the admin). "
        "It says comments may be ignored, deleted or reported, and nothing about warnings, blocks or appeals. "
        "The preset keeps the product's ladder: a written warning signed off by the Communications Manager "
        "(HMCTS has no service directors in NHDC's sense), a block approved by the Communications Manager, the "
        "head of the organisation told of each block (no acknowledgement required, as the document asks for "
        "none), and an appeal heard 12 months after a block, as NHDC's. Only the Communications Manager may "
        "block at once. The messages to the account owner about an appeal or a channel ban are written in the "
        "document's voice; no house rule bans from one channel only, so the channel-ban notice is used only if "
        "the team marks a rule so. "
        "It names no roles: the role titles are the product's defaults; set them to HMCTS's own (for example "
        "Head of News) in the admin. "
        "It sets no targets for sign-off (1 working day) or for how long a warning counts (12 months). "
        "England and Wales bank holidays are assumed for 'working days'. The police force is the Metropolitan "
        "Police Service (HMCTS's head office is in London); a report names the force where the matter happened. "
        "Identifying staff is not marked redact-on-delete: the document's no-record promise is made for "
        "personal information such as telephone numbers and addresses; tick it if staff names should be "
        "treated the same. "
        "Party politics is written as HMCTS's own restraint ('cannot engage on issues of party politics'); the "
        "rule lets the team record why a party-political post was left unanswered or removed."
    ),
    demo={
        # the document names the platforms (four X accounts, one Facebook page, one LinkedIn, one YouTube) but
        # not the handles, which are illustrative
        "channels": [
            {"name": "HMCTS (X)", "platform": "x", "handle": "HMCTSgovuk"},
            {"name": "HMCTS (Facebook)", "platform": "facebook", "handle": "HMCTSgovuk"},
            {"name": "HMCTS (LinkedIn)", "platform": "linkedin", "handle": "hm-courts-and-tribunals-service"},
            {"name": "HMCTS (YouTube)", "platform": "youtube", "handle": "HMCTSgovuk"},
        ],
        "service_areas": [
            "Crown Court",
            "Magistrates' courts",
            "County Court",
            "Family Court",
            "Tribunals",
            "Courts and Tribunals Service Centres",
        ],
    },
)
