"""Cases, complaints and bookings as the API shows them (the response models of api.models)."""

from __future__ import annotations

from datetime import datetime

from api import models as out
from domain.complaints import addressee
from domain.deadlines import ALMATY
from services.bookings import waited_minutes
from services.cases import CaseService
from services.complaints import ComplaintService
from storage.models import Attachment, Booking, Case, Complaint


def _text(value: object) -> out.Text:
    return out.Text.model_validate(value, from_attributes=True)


def attachment(a: Attachment) -> out.Attachment:
    return out.Attachment(
        id=a.id, document_id=a.document_id, kind=a.kind, mime_type=a.mime_type, content_type=a.content_type,
        file_name=a.file_name, file_size=a.file_size, stored=a.stored_path is not None,
        rejected=a.rejected if a.rejected in ("type", "size") else None,
        content_url=f"/api/v1/attachments/{a.id}/content",
    )


def case_summary(case: Case, service: CaseService) -> out.CaseSummary:
    catalog = service.catalog
    placement = catalog.placement(case.standard_id, case.office_id)
    return out.CaseSummary(
        number=case.number or "",
        status=case.status,
        service=out.Named(id=case.service_id, name=_text(catalog.service(case.service_id).name)),
        standard=case.standard_id,
        office=out.Named(id=case.office_id, name=_text(placement.office.name)),
        submitted_at=case.submitted_at,
        due_date=case.due_date,
        overdue=service.is_overdue(case),
    )


def case_detail(case: Case, service: CaseService) -> out.CaseDetail:
    grounds = service.catalog.standard(case.standard_id).refusal_grounds
    return out.CaseDetail(
        **dict(case_summary(case, service)),
        applicant=case.applicant,
        details=case.details,
        ready_at=case.ready_at,
        closed_at=case.closed_at,
        allowed_actions=service.actions(case),
        refusal_grounds=[_text(g) for g in grounds],
        history=[
            out.CaseEvent(
                at=e.at, actor=e.actor, action=e.action, from_=e.from_status, to=e.to_status, comment=e.comment,
                ground=e.ground, ground_text=_text(grounds[e.ground]) if e.ground is not None else None,
                due_date=e.due_date,
            )
            for e in case.events
        ],
        attachments=[attachment(a) for a in case.attachments],
    )


def complaint_summary(complaint: Complaint, service: ComplaintService) -> out.ComplaintSummary:
    placement = service.placement(complaint)
    return out.ComplaintSummary(
        number=complaint.number or "",
        status=complaint.status,
        topic=complaint.topic,
        standard=complaint.standard_id,
        office=out.Named(id=complaint.office_id, name=_text(placement.office.name)),
        addressee=_text(addressee(placement)),
        case=complaint.case.number if complaint.case else None,
        registered_at=complaint.registered_at,
        due_date=complaint.due_date,
        overdue=service.is_overdue(complaint),
    )


def complaint_detail(complaint: Complaint, service: ComplaintService) -> out.ComplaintDetail:
    return out.ComplaintDetail(
        **dict(complaint_summary(complaint, service)),
        text=complaint.text,
        complainant=complaint.complainant,
        outcome=complaint.outcome,
        answer=complaint.answer,
        forwarded_to=complaint.forwarded_to,
        closed_at=complaint.closed_at,
        allowed_actions=service.actions(complaint),
        history=[
            out.ComplaintEvent(at=e.at, actor=e.actor, action=e.action, from_=e.from_status, to=e.to_status,
                              outcome=e.outcome, comment=e.comment)
            for e in complaint.events
        ],
        attachments=[attachment(a) for a in complaint.attachments],
    )


def _local(moment: datetime | None) -> datetime | None:
    """A moment at Almaty's offset, as the offices' clocks show it."""
    return moment.astimezone(ALMATY) if moment else None


def booking(b: Booking, limit: int) -> out.Booking:
    waited = waited_minutes(b)
    return out.Booking(
        number=b.number or "",
        service=b.service_id,
        standard=b.standard_id,
        office=b.office_id,
        starts_at=_local(b.starts_at),
        status=b.status,
        arrived_at=_local(b.arrived_at),
        served_at=_local(b.served_at),
        waited_minutes=round(waited, 1) if waited is not None else None,
        waited_within_limit=waited <= limit if waited is not None else None,
    )
