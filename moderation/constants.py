"""Vocabularies shared across the product: platforms, post kinds, case states, timeline events."""

from django.db import models


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    X = "x", "X (Twitter)"
    LINKEDIN = "linkedin", "LinkedIn"
    YOUTUBE = "youtube", "YouTube"
    TIKTOK = "tiktok", "TikTok"
    NEXTDOOR = "nextdoor", "Nextdoor"
    OTHER = "other", "Other"


class PostKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    REPLY = "reply", "Reply"
    MENTION = "mention", "Mention"
    DIRECT_MESSAGE = "direct_message", "Direct message"


class Visibility(models.TextChoices):
    VISIBLE = "visible", "Visible"
    HIDDEN = "hidden", "Hidden"
    DELETED = "deleted", "Deleted"
    RESTORED = "restored", "Restored"


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class CaseOutcome(models.TextChoices):
    NO_ACTION = "no_action", "No further action"
    POST_REMOVED = "post_removed", "Post hidden or deleted"
    WARNED = "warned", "Warning sent"
    BLOCKED = "blocked", "Account blocked"
    BANNED_FROM_CHANNEL = "banned_from_channel", "Banned from the channel"
    ENQUIRY_ANSWERED = "enquiry_answered", "Enquiry answered"  # an enquiry's case with no moderation action


class Priority(models.IntegerChoices):
    NORMAL = 2, "Normal"
    HIGH = 1, "High"
    URGENT = 0, "Urgent"


class EventKind(models.TextChoices):
    """The one event vocabulary of the product: every state change writes exactly one of these."""

    CASE_RECORDED = "case_recorded", "Case recorded"
    POSTS_ADDED = "posts_added", "Posts added to the case"
    EVIDENCE_ADDED = "evidence_added", "Evidence added"
    CASE_ASSIGNED = "case_assigned", "Case assigned"
    CASE_CLOSED = "case_closed", "Case closed"
    CASE_REOPENED = "case_reopened", "Case reopened"
    POST_HIDDEN = "post_hidden", "Post hidden"
    POST_DELETED = "post_deleted", "Post deleted"
    POST_RESTORED = "post_restored", "Post restored"
    WARNING_DRAFTED = "warning_drafted", "Warning drafted"
    WARNING_REVISED = "warning_revised", "Warning revised"
    WARNING_SUBMITTED = "warning_submitted", "Warning sent for sign-off"
    WARNING_APPROVED = "warning_approved", "Warning signed off"
    WARNING_REFUSED = "warning_refused", "Warning sign-off refused"
    WARNING_SENT = "warning_sent", "Warning sent to the account"
    WARNING_WITHDRAWN = "warning_withdrawn", "Warning withdrawn"
    BLOCK_PROPOSED = "block_proposed", "Block proposed"
    BLOCK_APPROVED = "block_approved", "Block approved"
    BLOCK_REFUSED = "block_refused", "Block refused"
    BLOCK_IMMEDIATE = "block_immediate", "Immediate block for extreme behaviour"
    CHANNEL_BAN = "channel_ban", "Banned from the channel (misinformation)"
    MD_NOTIFIED = "md_notified", "Managing Director notified"
    MD_ACKNOWLEDGED = "md_acknowledged", "Managing Director acknowledged"
    POLICE_REPORTED = "police_reported", "Reported to the police"
    PLATFORM_REPORTED = "platform_reported", "Reported to the platform"
    AGENCY_REPORTED = "agency_reported", "Reported to another agency"
    APPEAL_RECEIVED = "appeal_received", "Appeal received"
    APPEAL_PREMATURE = "appeal_premature", "Appeal received before the window opened"
    APPEAL_UPHELD = "appeal_upheld", "Appeal decided: block upheld"
    APPEAL_OVERTURNED = "appeal_overturned", "Appeal decided: block overturned and lifted"
    BLOCK_UNDONE_ON_PLATFORM = "block_undone_on_platform", "Block undone on the platform"
    APPEAL_WINDOW_OPENED = "appeal_window_opened", "Appeal window opened"
    SIGNOFF_CHASED = "signoff_chased", "Overdue sign-off chased"
    ACKNOWLEDGEMENT_CHASED = "acknowledgement_chased", "Overdue acknowledgement chased"
    FLAG_DISMISSED = "flag_dismissed", "Automatic flag dismissed: not a problem"
    CRISIS_STARTED = "crisis_started", "Crisis mode switched on"
    CRISIS_ENDED = "crisis_ended", "Crisis mode switched off"
    SAFEGUARDING_MARKED = "safeguarding_marked", "Marked as a safeguarding case"
    SAFEGUARDING_LEADS_ALERTED = "safeguarding_leads_alerted", "Safeguarding leads alerted"
    SAFEGUARDING_REFERRAL = "safeguarding_referral", "Safeguarding decision recorded"
    ENQUIRY_RECORDED = "enquiry_recorded", "Recorded as an enquiry"
    ENQUIRY_REPLIED = "enquiry_replied", "Reply sent"
    ENQUIRY_HOLDING_REPLY = "enquiry_holding_reply", "Holding reply sent"
    ENQUIRY_SIGNPOSTED = "enquiry_signposted", "Signposted"
    ENQUIRY_CLARIFICATION_ASKED = "enquiry_clarification_asked", "Asked to clarify the request (clock paused)"
    ENQUIRY_CLARIFIED = "enquiry_clarified", "Clarification received (clock restarted)"
    ENQUIRY_HANDED_ON = "enquiry_handed_on", "Enquiry handed on"
    ENQUIRY_ANSWERED = "enquiry_answered", "Enquiry answered"
    SUBJECT_ACCESS_EXPORTED = "subject_access_exported", "Everything about the account downloaded (subject access)"
    LEGAL_HOLD_PLACED = "legal_hold_placed", "Legal hold placed"
    LEGAL_HOLD_LIFTED = "legal_hold_lifted", "Legal hold lifted"
    PERSONAL_DATA_ERASED = "personal_data_erased", "Personal data erased on request"
    RETENTION_REDACTED = "retention_redacted", "Removed at the end of its retention period"


class SafeguardingAgency(models.TextChoices):
    """Where a safeguarding lead refers a case (or that no referral is needed, with the reason)."""

    POLICE = "police", "Police"
    LA_CHILDREN = "la_children", "Local authority children's services"
    LA_ADULTS = "la_adults", "Local authority adult services"
    PLATFORM = "platform", "The platform's safety team"
    NONE = "none", "No referral needed"


class FlagKind(models.TextChoices):
    """What an automatic flag rule looks for."""

    WORD_LIST = "word_list", "Word list"
    PATTERN = "pattern", "Pattern (regular expression)"
    PHONE_NUMBER = "phone_number", "UK phone number"
    EMAIL_ADDRESS = "email_address", "Email address"
    POSTCODE = "postcode", "UK postcode"
    REPEAT_CONTACT = "repeat_contact", "Repeat contact (N posts in M minutes)"


# Personal-data detectors: a post deleted with one of these flags has its text redacted.
PERSONAL_DATA_KINDS = (FlagKind.PHONE_NUMBER, FlagKind.EMAIL_ADDRESS, FlagKind.POSTCODE)


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed: not a problem"
    CONFIRMED = "confirmed", "Confirmed: a case was recorded"


class ImportStatus(models.TextChoices):
    """A CSV import: mapping → ready → queued → running → completed | failed; discarded before it runs."""

    MAPPING = "mapping", "Columns to match"
    READY = "ready", "Ready to import"
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Importing"
    COMPLETED = "completed", "Imported"
    FAILED = "failed", "Not imported"
    DISCARDED = "discarded", "Discarded"


# an import in these states can have its columns matched again, be (re)started or be discarded
EDITABLE_IMPORT_STATUSES = (ImportStatus.MAPPING, ImportStatus.READY, ImportStatus.FAILED)


# What meets a case's first-response target (``Case.response_due_at``): acting on it. Closing it
# stops the clock too, and so does answering an enquiry: a reply, a holding reply ("we'll answer fully
# by …", Hart), a signpost, or asking the requester to clarify (``moderation.enquiries``).
# Sign-offs and the Managing Director's acknowledgement have their own clocks,
# stopped by the decision and the acknowledgement.
FIRST_RESPONSE_EVENTS = (  # moderation.deadlines; the index caseevent_first_response_idx
    EventKind.POST_HIDDEN,
    EventKind.POST_DELETED,
    EventKind.WARNING_DRAFTED,
    EventKind.BLOCK_PROPOSED,
    EventKind.BLOCK_IMMEDIATE,
    EventKind.CHANNEL_BAN,
    EventKind.CASE_CLOSED,
    EventKind.ENQUIRY_REPLIED,
    EventKind.ENQUIRY_HOLDING_REPLY,
    EventKind.ENQUIRY_SIGNPOSTED,
    EventKind.ENQUIRY_CLARIFICATION_ASKED,
)
