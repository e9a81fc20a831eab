"""Cafcass: Social media guidelines (001_debd8b8860e073c1.txt)."""

from policy.presets import Preset, Rule

WARNING = """Hello {{ name }},

We have {{ action }} your {{ post_kind }} on our {{ channel }} account because it breaks our social media \
guidelines: {{ rules }}.

Our guidelines are here: {{ policy_url }}

Decisions about removing comments or blocking accounts are made at the discretion of our Communications \
Team, and we will not enter into dialogue about them.

{{ organisation }} Communications Team"""

# "We will not enter into dialogue on social media or other channels about these decisions." There are no
# appeals: the appeal messages are never used (kept neutral, as the policy needs a text). A channel-only
# ban is not in the document either: its notice says no dialogue follows.
PREMATURE_APPEAL = """Hello {{ name }},

Decisions about blocking accounts are made at the discretion of our Communications Team, and we will not \
enter into dialogue about them.

Our guidelines: {{ policy_url }}

{{ organisation }} Communications Team"""

APPEAL_UPHELD = PREMATURE_APPEAL

APPEAL_OVERTURNED = """Hello {{ name }},

We have lifted our block: you can interact with our {{ where }} account again.

Our guidelines: {{ policy_url }}

{{ organisation }} Communications Team"""

CHANNEL_BAN = """Hello {{ name }},

We have removed your {{ post_kind }} on our {{ channel }} account and blocked you from it because it breaks \
our social media guidelines: {{ rules }}.

Decisions about removing comments or blocking accounts are made at the discretion of our Communications \
Team, and we will not enter into dialogue about them.

Our guidelines: {{ policy_url }}

{{ organisation }} Communications Team"""

PRESET = Preset(
    slug="cafcass",
    name="Cafcass: Social media guidelines",
    document="001_debd8b8860e073c1.txt",
    settings={
        "organisation_name": "Cafcass",
        # staff by role title: "No attempt will be made to further identify people except where requested and
        # authorised to do so by law"; the team speaks as "our Communications Team", never by name
        "subject_access_staff_names": False,
        # the document names www.cafcass.gov.uk but not its own address (see notes)
        "policy_url": "https://www.cafcass.gov.uk",
        # "Please contact us via our website contact form."
        "contact_url": "https://www.cafcass.gov.uk",
        # "... during regular working hours (Monday - Friday, 9 am - 5 pm)."
        "working_weekdays": [0, 1, 2, 3, 4],
        "opening_time": "09:00",
        "closing_time": "17:00",
        "bank_holidays": "ENG",
        # "In exceptional cases, channels may be used outside of office hours, such as during events." (no cover)
        "emergency_weekdays": [],
        "emergency_on_bank_holidays": False,
        # "We make an effort to respond to genuine questions and comments ... this may not always be possible."
        "first_response_working_days": 1,
        "signoff_due_working_days": 1,
        "acknowledgement_due_working_days": 2,
        "warning_lookback_months": 12,
        "police_force": "Metropolitan Police Service",
        # "... decisions made about removing comments, blocking or reporting users are made at the discretion of
        # our Communications Team."
        "warning_signoff": "none",
        "warning_before_block": "advice",
        "head_informed_of_blocks": False,
        "head_acknowledges_blocks": False,
        # "We will not enter into dialogue on social media or other channels about these decisions."
        "appeals": False,
        "channel_ban_challenge_any_time": False,
        "warning_template": WARNING,
        "premature_appeal_template": PREMATURE_APPEAL,
        "appeal_upheld_template": APPEAL_UPHELD,
        "appeal_overturned_template": APPEAL_OVERTURNED,
        "channel_ban_template": CHANNEL_BAN,
        # "... blocking or reporting users are made at the discretion of our Communications Team." (who in the
        # team is not said: the product's defaults, see notes)
        "block_approval": "manager",
        "immediate_block": "managers",
        # "We may record information ... for reporting, record keeping and monitoring": no period is
        # named (the product's defaults)
        "retention_evidence_months": 24,
        "retention_post_text_months": 12,
        "retention_uncased_post_months": 12,
        "retention_block_years": 6,
    },
    rules=(
        Rule(
            "safeguarding",
            "Safeguarding concern",
            "The only exceptions to the above will be where there are safeguarding concerns. Where safeguarding "
            "concerns are present, our health and safety and child protection policies will be followed.",
            severity=3,
            safeguarding=True,
        ),
        Rule(
            "case-information",
            "Family court case information",
            "If case information is disclosed on one of our social media channels, it will be removed where possible "
            "(on Facebook and LinkedIn) and consideration will be given to any further appropriate action.",
            severity=3,
            redact_on_delete=True,
        ),
        Rule(
            "sensitive-information",
            "Sensitive information about service users or the organisation",
            "Our social media channels must not be used – by us or anybody else – to post anything sensitive about "
            "the organisation, service users, the Government or other bodies. This includes names (of children and "
            "service users), confirmation of cases and legally sensitive information.",
            severity=3,
            redact_on_delete=True,
        ),
        Rule(
            "abusive",
            "Abusive, obscene, indecent or offensive language",
            "Abusive, obscene, indecent or offensive language, including swear words and derogatory terms based on "
            "gender, race or sexuality.",
            severity=3,
        ),
        Rule(
            "personal-attack",
            "Abuse of a person or organisation",
            "Abusive language towards an individual or organisation.",
            severity=3,
        ),
        Rule("off-topic", "Not relevant to the post", "Content that is not relevant to the original post.", severity=1),
        Rule("illegal", "Unlawful", "Content which is unlawful.", severity=3, suspected_offence=True),
        Rule("spam", "Spam, promotions or advertisements", "Spam, promotions or advertisements.", severity=1),
        Rule(
            "disruption",
            "Designed to disrupt the channel",
            "Content designed to cause disruption to the use of these channels by us or the other social media users.",
        ),
    ),
    notes=(
        "The document gives no web address of its own: the policy link is Cafcass's website "
        "(www.cafcass.gov.uk, which the document names); set it to the guidelines page before warnings go out. "
        "It gives no team mailbox: the mailbox is left as it was (set it in the admin). "
        "Moderation decisions are 'made at the discretion of our Communications Team' and Cafcass 'will not "
        "enter into dialogue' about them: a warning needs no sign-off, there are no appeals (no page, email or "
        "API answer offers one), channel bans cannot be challenged, and the head of the organisation is not told "
        "of blocks. The document does not say who in the team decides a block: it is approved by the "
        "Communications Manager, who alone may block at once (the product's defaults). "
        "With no appeals, the appeal messages (the reply to an appeal made too early, the outcome) are never "
        "used; they say only that no dialogue is entered into. No house rule bans from one channel only, so the "
        "channel-ban notice is used only if the team marks a rule so; it too says no dialogue follows. "
        "The document mentions no written warnings at all (its actions are block, remove and 'any other "
        "appropriate action'); a warning is kept as an option and the template says no dialogue follows. "
        "It sets no response target ('we make an effort to respond'): one working day, the product's default. "
        "It names no roles beyond the Communications Team: role titles are the product's defaults. "
        "England's bank holidays are assumed (Cafcass works in England). The police force is the Metropolitan "
        "Police Service (Cafcass's national office is in London); a report names the force where the matter "
        "happened. "
        "Case information and sensitive information (names of children and service users) are deleted without "
        "keeping their text: the case keeps who posted, when and why. "
        "'No attempt will be made to further identify people except where requested and authorised to do so "
        "by law': the product records only the platform handle and the name the account shows."
    ),
    demo={
        # the document lists Twitter, LinkedIn, YouTube and Facebook; the handles are illustrative
        "channels": [
            {"name": "Cafcass (X)", "platform": "x", "handle": "Cafcass"},
            {"name": "Cafcass (LinkedIn)", "platform": "linkedin", "handle": "cafcass"},
            {"name": "Cafcass (YouTube)", "platform": "youtube", "handle": "cafcass"},
            {"name": "Cafcass (Facebook)", "platform": "facebook", "handle": "cafcass"},
        ],
        "service_areas": ["Private law", "Public law", "Adoption", "Careers and recruitment", "News and blogs"],
    },
)
