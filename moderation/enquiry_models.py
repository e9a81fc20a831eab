"""Enquiries (issue 12, "Requests the law or the policy clocks"): a case that is a request to answer, not
a rule broken. Defined here, imported by ``moderation.models`` so Django finds it; the rules are in
``moderation.enquiries``."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from moderation import clock


class EnquiryKind(models.TextChoices):
    FOI = "foi", "Freedom of Information request"
    SUBJECT_ACCESS = "subject_access", "Subject access request"
    COMPLAINT = "complaint", "Complaint"
    CONSULTATION = "consultation", "Consultation response"
    SERVICE_REQUEST = "service_request", "Service request"
    QUESTION = "question", "General question"


class EnquiryStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLARIFYING = "clarifying", "Waiting for clarification"
    HANDED_ON = "handed_on", "Handed on"
    ANSWERED = "answered", "Answered"


class Enquiry(models.Model):
    """The enquiry a case is: its kind, who asked and when, its deadline, and where it was handed on."""

    case = models.OneToOneField("moderation.Case", on_delete=models.PROTECT, related_name="enquiry")
    kind = models.CharField(max_length=20, choices=EnquiryKind.choices)
    status = models.CharField(max_length=20, choices=EnquiryStatus.choices, default=EnquiryStatus.OPEN)
    received_on = models.DateField(help_text="The day the request reached us: its clock starts here.")
    requester_name = models.CharField(max_length=200, blank=True)
    correspondence_address = models.TextField(blank=True, help_text="An email or postal address.")
    description = models.TextField(blank=True, help_text="What is asked for.")
    # the legal or policy deadline (FOI: 20 working days; subject access: one calendar month), if any
    due_on = models.DateField(null=True, blank=True)
    clarification_asked_on = models.DateField(null=True, blank=True, help_text="Set while the clock is paused.")
    paused_working_days = models.PositiveIntegerField(default=0)
    signposted_at = models.DateTimeField(null=True, blank=True)
    handed_to_team = models.CharField(max_length=120, blank=True)
    handed_to_email = models.EmailField(blank=True)
    handed_reference = models.CharField(max_length=120, blank=True)
    handed_on_at = models.DateTimeField(null=True, blank=True)
    answered_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = "enquiry"
        verbose_name_plural = "enquiries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (case {self.case_id})"
