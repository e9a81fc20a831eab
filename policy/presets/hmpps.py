"""HM Prison and Probation Service: Social media use (002_fdb787157303b297.txt)."""

from policy.presets import Preset, Rule

GOV_UK_PAGE = "https://www.gov.uk/government/organisations/her-majestys-prison-and-probation-service"

# "... we will always warn you of this and highlight our commenting guidelines before doing so."
WARNING = """Hello {{ name }},

We have {{ action }} your {{ post_kind }} on our {{ channel }} page because it goes against our community \
guidelines: {{ rules }}.

Please read our community guidelines before commenting again: {{ policy_url }}

If the nature of your comments does not change, we may block you from the page.

{{ organisation }}"""

# "... we will always warn you of this and highlight our commenting guidelines before doing so." The
# document says nothing about appeals or channel bans: these keep the product's process (see notes).
PREMATURE_APPEAL = """Hello {{ name }},

Thank you for asking us to reconsider our decision to block you from {{ where }}, which we received on \
{{ received_on }}.

We can consider a request to reverse this block from {{ opens_on }}: please contact us again by direct \
message from that date.

Our community guidelines: {{ policy_url }}

{{ organisation }}"""

APPEAL_UPHELD = """Hello {{ name }},

We have considered your request to reverse our decision to block you from {{ where }}. The block stays \
in place. You can ask us again from {{ next_appeal_on }}.

Our community guidelines: {{ policy_url }}

{{ organisation }}"""

APPEAL_OVERTURNED = """Hello {{ name }},

We have considered your request to reverse our decision to block you from {{ where }}. The block is \
lifted. Please follow our community guidelines when commenting: {{ policy_url }}

{{ organisation }}"""

CHANNEL_BAN = """Hello {{ name }},

We have removed your {{ post_kind }} on our {{ channel }} page and blocked you from that page because it \
goes against our community guidelines: {{ rules }}.

If you wish to challenge this, contact us by direct message on another of our channels or at {{ team_email }}.

Our community guidelines: {{ policy_url }}

{{ organisation }}"""

PRESET = Preset(
    slug="hmpps",
    name="HM Prison and Probation Service: Social media use",
    document="002_fdb787157303b297.txt",
    settings={
        "organisation_name": "HM Prison and Probation Service",
        # staff by role title: "we have a duty of care to them", and posts defaming a named member of staff
        # are removed
        "subject_access_staff_names": False,
        # the document as saved gives no address of its own: HMPPS's GOV.UK page (see notes)
        "policy_url": GOV_UK_PAGE,
        "contact_url": GOV_UK_PAGE,
        # "Our Facebook, Twitter, LinkedIn, Instagram and YouTube channels are moderated Monday to Friday all
        # year round." No hours are given (see notes).
        "working_weekdays": [0, 1, 2, 3, 4],
        "opening_time": "09:00",
        "closing_time": "17:00",
        "bank_holidays": "NONE",
        "emergency_weekdays": [],
        "emergency_on_bank_holidays": False,
        # "If you have questions, need support, or guidance we always aim to respond." (no target)
        "first_response_working_days": 1,
        "signoff_due_working_days": 1,
        "acknowledgement_due_working_days": 2,
        "warning_lookback_months": 12,
        "police_force": "Metropolitan Police Service",
        "warning_signoff": "manager",
        # "On rare occasions, we may block users from the page if the nature of their comments does not change,
        # but we will always warn you of this and highlight our commenting guidelines before doing so."
        # "If your post is discriminatory, you will be blocked from our social media channels."
        "warning_before_block": "required",
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
        # "We have a zero-tolerance policy for posts that are discriminatory. If your post is discriminatory, you
        # will be blocked from our social media channels." (at once, by whoever moderates: see notes)
        "immediate_block": "zero_tolerance",
        # retention: the document names no period (the product's defaults; see docs/policies.md)
        "retention_evidence_months": 24,
        "retention_post_text_months": 12,
        "retention_uncased_post_months": 12,
        "retention_block_years": 6,
        # silent on who approves a block: the product's default
        "block_approval": "manager",
    },
    rules=(
        Rule(
            "discriminatory",
            "Discriminatory (zero tolerance)",
            "We have a zero-tolerance policy for posts that are discriminatory. If your post is discriminatory, you "
            "will be blocked from our social media channels.",
            severity=3,
            zero_tolerance=True,
        ),
        Rule(
            "abusive",
            "Obscene, inflammatory, harassing, hateful, threatening, profane or personally abusive",
            "discriminatory, obscene, inflammatory, harassing, hateful, threatening, profane or personally abusive",
            severity=3,
        ),
        Rule(
            "disrespectful",
            "Disrespectful to others and their opinions",
            "disrespectful to others and their opinions",
            severity=1,
        ),
        Rule("personal-attack", "Personal attacks", "personal attacks to others"),
        Rule(
            "defamatory",
            "Libellous or defamatory",
            "libellous or defamatory such as an accusation made against a named person, for example at a member of "
            "staff",
            severity=3,
        ),
        Rule(
            "self-harm",
            "Explicit detail of self-harm or suicide",
            "explicit or technical detail of self-harm or suicide",
            severity=3,
            safeguarding=True,
        ),
        Rule("advertising", "Adverts", "adverts for commercial products or services", severity=1),
        Rule("spam", "Off-topic (spam)", "issues that are off-topic i.e. spam", severity=1),
        Rule(
            "misinformation",
            "Misinformation",
            "We moderate all our channels to encourage constructive debate, manage abusive comments and remove "
            "misinformation shared on posts.",
        ),
    ),
    notes=(
        "The document as saved gives no web address of its own: the policy link is HMPPS's GOV.UK page; set it "
        "to the 'Social media use' page before warnings go out. It gives no team mailbox: the mailbox is left "
        "as it was. "
        "Channels are 'moderated Monday to Friday all year round': no hours are given, so 9am to 5pm, the "
        "product's default; 'all year round' is read as including bank holidays that fall on a weekday, so no "
        "bank holidays are taken off (choose England and Wales in the admin if the team does not work them). "
        "It sets no response target ('we always aim to respond'): one working day, the product's default. "
        "A block needs a warning first, which highlights the guidelines (the template links to them), except "
        "for discriminatory posts, which are zero tolerance and may be blocked at once: 'If your post is "
        "discriminatory, you will be blocked' is read as a block without approval, so an officer may block at "
        "once under a zero-tolerance rule (the Communications Manager under any rule). "
        "It says nothing about who signs off a warning or approves a block, nor about appeals: the "
        "Communications Manager signs off warnings and approves blocks, the head of the organisation is told "
        "of each block (no acknowledgement required), and an appeal is heard 12 months after a block, as NHDC's. "
        "It names no roles: role titles are the product's defaults. "
        "It does not say how long a warning counts: 12 months. The police force is the Metropolitan Police "
        "Service (HMPPS's head office is in London); a report names the force where the matter happened. "
        "Misinformation is removed; the document does not ban its author from the channel, so the rule is an "
        "ordinary one. "
        "Self-harm or suicide content is marked safeguarding: the author or others may be at risk. "
        "Facebook's filters that hide obscenities are the platform's own: the product's automatic flags can "
        "mark the same words for review but never hide a post."
    ),
    demo={
        # the document names Twitter, Facebook, LinkedIn, Instagram and YouTube; the handles are illustrative
        "channels": [
            {"name": "HMPPS (X)", "platform": "x", "handle": "HMPPS"},
            {"name": "HMPPS (Facebook)", "platform": "facebook", "handle": "HMPPS"},
            {"name": "HMPPS (LinkedIn)", "platform": "linkedin", "handle": "hm-prison-and-probation-service"},
            {"name": "HMPPS (Instagram)", "platform": "instagram", "handle": "hmpps"},
            {"name": "HMPPS (YouTube)", "platform": "youtube", "handle": "HMPPS"},
        ],
        "service_areas": ["Prisons", "Probation", "Youth custody", "Recruitment", "Application help"],
    },
)
