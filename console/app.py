"""The console's routes: sign-in by a link from the bot, cases, complaints, an office's day of
visits, hand-offs waiting for a clerk, and (for supervisors) the audit log.

Every move goes through the services of ``services/`` (the same lifecycle rules, grounds,
reasons, extensions and notices as the clerks' commands in Telegram) and is written to the
audit log in the same transaction. Who may see and do what is :class:`services.staff.Staff`.
"""


import logging
import mimetypes
import os
import stat
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from aiogram.utils.i18n import gettext as _
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession

from console.indicators import chart, period_choices, period_label, period_of
from console.web import (
    LANG_COOKIE,
    SESSION_COOKIE,
    STATIC,
    ConsoleContext,
    ConsoleLayer,
    NotSignedIn,
    Refused,
    Visitor,
    check_csrf,
    client_address,
    is_https,
    read_form,
    render,
)
from domain.complaints import CLERK_ACTIONS, ComplaintAction, ComplaintStatus, Outcome
from domain.deadlines import ALMATY, local_date
from domain.lifecycle import Action, IllegalTransition, Status
from presentation.labels import case_refusal, complaint_refusal
from presentation.reports import reason_text, to_csv, to_xlsx, verdict_text
from services.bookings import BookingError, BookingService, waited_minutes
from services.cases import CaseNotFound, CaseService, parse_number
from services.complaints import ComplaintNotFound, ComplaintService
from services.complaints import parse_number as parse_complaint_number
from services.indicators import IndicatorReport, report
from storage.models import Attachment, Booking
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
PAGE = 50
CASE_STATUSES = [s.value for s in Status]
COMPLAINT_STATUSES = [s.value for s in ComplaintStatus]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def create_console(context: ConsoleContext) -> FastAPI:
    """The console application (mounted at ``/console``)."""
    app = FastAPI(title="Kenes console", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(_routes(context))
    app.mount("/console/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return render(context, "error.html", getattr(request.state, "visitor", None), code=exc.status,
                      message=exc.message)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return render(context, "signin_needed.html", None, code=401)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        return render(context, "error.html", getattr(request.state, "visitor", None), code=404,
                      message=_("There is no such page."))

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return RedirectResponse("/console/", status_code=303)

    app.add_middleware(ConsoleLayer, i18n=context.i18n, default_locale=context.default_locale)
    return app


def _routes(context: ConsoleContext) -> APIRouter:
    router = APIRouter(prefix="/console")
    offices = context.offices

    def services(session: AsyncSession) -> tuple[Repositories, CaseService, ComplaintService, BookingService]:
        unit = context.units.over(session)
        return unit.repositories, unit.cases, unit.complaints, unit.bookings

    async def visitor(request: Request) -> Visitor:
        session = context.staff_sessions.read(request.cookies.get(SESSION_COOKIE))
        staff = context.roles.of(session.user_id) if session else None
        if session is None or staff is None:
            raise NotSignedIn
        found = Visitor(staff, session, client_address(request, context.trust_proxy))
        request.state.visitor = found
        return found

    Me = Annotated[Visitor, Depends(visitor)]

    async def refuse(me: Visitor, action: str, target: str | None) -> Refused:
        """Record the refused attempt and give the 403 to raise."""
        async with context.sessions() as session:
            await context.audit.record_now(Repositories(session), source="console", actor=me.staff.actor,
                                           origin=me.origin, action="refused", target=target, attempted=action)
        return Refused(403, _("This is outside your role: it was not done."))

    def audit(repositories: Repositories, me: Visitor, action: str, target: str | None, **detail: Any) -> None:
        context.audit.record(repositories, source="console", actor=me.staff.actor, origin=me.origin,
                             action=action, target=target, **detail)

    def office_choices(me: Visitor) -> list[tuple[str, str]]:
        visible = me.staff.visible_offices(offices)
        locale = context.i18n.current_locale
        return sorted(((oid, office.name.get(locale)) for oid, (_s, office) in offices.items()
                       if visible is None or oid in visible), key=lambda pair: pair[1])

    def office_name(office_id: str) -> str:
        found = offices.get(office_id)
        return found[1].name.get(context.i18n.current_locale) if found else office_id

    def service_name(service_id: str) -> str:
        return context.catalog.service(service_id).name.get(context.i18n.current_locale)

    def scoped(me: Visitor, office: str | None) -> tuple[frozenset[str] | None, str | None]:
        visible = me.staff.visible_offices(offices)
        if office and (office not in offices or (visible is not None and office not in visible)):
            return visible, None
        return visible, office or None

    def page_of(request: Request) -> int:
        value = request.query_params.get("page", "1")
        return max(1, min(int(value), 10_000)) if value.isdigit() else 1

    def today() -> date:
        return local_date(context.clock())

    # Sign-in and out ------------------------------------------------------------------------------

    @router.get("/signin")
    async def signin_page(request: Request) -> Response:
        """The link from the bot opens a page with a button: a link preview fetching the
        address does not use the link up."""
        token = request.query_params.get("token", "")
        return render(context, "signin.html", None, token=token[:200])

    @router.post("/signin")
    async def signin(request: Request) -> Response:
        form = await read_form(request)
        origin = client_address(request, context.trust_proxy)
        async with context.sessions() as session:
            repositories = Repositories(session)
            user_id = await context.links.redeem(repositories, form.get("token", ""))
            staff = context.roles.of(user_id) if user_id is not None else None
            if staff is None:
                return render(context, "signin_needed.html", None, code=401, expired=True)
            await context.audit.record_now(repositories, source="console", actor=staff.actor, origin=origin,
                                           action="signin")
        cookie, _session = context.staff_sessions.new(staff.user_id)
        response = RedirectResponse("/console/", status_code=303)
        response.set_cookie(SESSION_COOKIE, cookie, max_age=int(context.staff_sessions.ttl.total_seconds()),
                            path="/console", httponly=True, samesite="strict",
                            secure=context.secure_cookies or is_https(request, context.trust_proxy))
        return response

    @router.post("/signout")
    async def signout(request: Request, me: Me) -> Response:
        check_csrf(request, me.session, await read_form(request))
        async with context.sessions() as session:
            await context.audit.record_now(Repositories(session), source="console", actor=me.staff.actor,
                                           origin=me.origin, action="signout")
        response = render(context, "signin_needed.html", None, signed_out=True)
        response.delete_cookie(SESSION_COOKIE, path="/console")
        return response

    @router.get("/language/{locale}")
    async def language(locale: str, request: Request) -> Response:
        # Back to the page it was chosen on (a page of this site only).
        back = urlsplit(request.headers.get("referer", ""))
        same = back.netloc == request.headers.get("host") and back.path.startswith("/console/")
        target = back.path + (f"?{back.query}" if back.query else "") if same else "/console/"
        response = RedirectResponse(target, status_code=303)
        if locale in ("kk", "ru"):
            response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, path="/console", samesite="lax")
        return response

    @router.get("/")
    async def home(me: Me) -> Response:
        return RedirectResponse("/console/cases", status_code=303)

    # Cases -----------------------------------------------------------------------------------------

    @router.get("/cases")
    async def case_list(request: Request, me: Me) -> Response:
        params = request.query_params
        visible, office = scoped(me, params.get("office"))
        status = params.get("status") if params.get("status") in CASE_STATUSES else None
        overdue = params.get("overdue") == "1"
        query = (params.get("q") or "").strip()[:100]
        number = parse_number(query) if query else None
        # A name is personal data: searched only by clerks, only in the offices they handle.
        name = query if query and number is None and me.staff.clerk_offices else None
        page = page_of(request)
        async with context.sessions() as session:
            repositories, cases, _c, _b = services(session)
            handled = None if "*" in me.staff.clerk_offices else frozenset(me.staff.clerk_offices)
            found = [] if query and number is None and name is None else await repositories.console.cases(
                offices=handled if name else visible, office=office, status=status,
                overdue_before=today() if overdue else None, number=number, name=name,
                limit=PAGE + 1, offset=(page - 1) * PAGE)
            rows = [{"case": c, "overdue": cases.is_overdue(c), "personal": me.staff.may_handle(c.office_id),
                     "office": office_name(c.office_id), "service": service_name(c.service_id)}
                    for c in found[:PAGE]]
        return render(context, "cases.html", me, rows=rows, offices=office_choices(me), office=office or "",
                      statuses=CASE_STATUSES, status=status or "", overdue=overdue, q=query, page=page,
                      more=len(found) > PAGE, name_search=bool(me.staff.clerk_offices))

    async def load_case(cases: CaseService, me: Visitor, number: str, action: str) -> Any:
        try:
            case = await cases.get(number)
        except CaseNotFound:
            raise Refused(404, _("No case {number}.").format(number=number)) from None
        if not me.staff.may_see(case.office_id):
            raise await refuse(me, action, f"case:{case.number}")
        return case

    def case_page(me: Visitor, case: Any, cases: CaseService, code: int = 200, error: str | None = None,
                  done: bool = False) -> Response:
        standard = context.catalog.standard(case.standard_id)
        handles = me.staff.may_handle(case.office_id)
        return render(context, "case.html", me, code=code, case=case, s=standard,
                      office=office_name(case.office_id), service=service_name(case.service_id),
                      overdue=cases.is_overdue(case), personal=handles,
                      actions=[a.value for a in cases.actions(case)] if handles else [],
                      documents={d.id: d for d in standard.documents}, error=error, done=done)

    @router.get("/cases/{number}")
    async def case_view(number: str, request: Request, me: Me) -> Response:
        async with context.sessions() as session:
            repositories, cases, _c, _b = services(session)
            case = await load_case(cases, me, number, "case.view")
            audit(repositories, me, "case.view", f"case:{case.number}", personal=me.staff.may_handle(case.office_id))
            await repositories.commit()
            return case_page(me, case, cases, done=request.query_params.get("done") == "1")

    @router.post("/cases/{number}/move")
    async def case_move(number: str, request: Request, me: Me) -> Response:
        form = await read_form(request)
        check_csrf(request, me.session, form)
        try:
            action = Action(form.get("action", ""))
        except ValueError:
            raise Refused(400, _("The form could not be read.")) from None
        async with context.sessions() as session:
            repositories, cases, _c, _b = services(session)
            case = await load_case(cases, me, number, f"case.{action.value}")
            if not me.staff.may_handle(case.office_id) or action is Action.ARCHIVE:
                raise await refuse(me, f"case.{action.value}", f"case:{case.number}")
            ground = form.get("ground", "")
            months = form.get("months", "")
            audit(repositories, me, f"case.{action.value}", f"case:{case.number}", from_status=case.status)
            try:
                moved = await cases.transition(
                    case.number or number, action, me.staff.actor, comment=form.get("comment") or None,
                    ground=int(ground) if ground.isdigit() else None,
                    extension_months=int(months) if months.isdigit() else None)
            except IllegalTransition as exc:
                await session.rollback()
                case = await load_case(cases, me, number, "case.view")
                return case_page(me, case, cases, code=409, error=case_refusal(exc))
            logger.info("case %s: %s by console clerk %s", moved.number, action.value, me.staff.user_id)
        return RedirectResponse(f"/console/cases/{moved.number}?done=1", status_code=303)

    @router.get("/scans/{attachment_id}")
    async def scan(attachment_id: int, me: Me) -> Response:
        """A stored scan, opened in the browser with the type found in its content."""
        async with context.sessions() as session:
            repositories = Repositories(session)
            attachment: Attachment | None = await repositories.attachments.with_owner(attachment_id)
            if attachment is None:
                raise Refused(404, _("There is no such file."))
            owner = attachment.case or attachment.complaint
            if owner is None or not me.staff.may_handle(owner.office_id):
                raise await refuse(me, "scan.open", f"scan:{attachment_id}")
            audit(repositories, me, "scan.open", f"scan:{attachment_id}")
            await repositories.commit()
        if attachment.stored_path is None:
            raise Refused(404, _("The file is not stored yet."))
        root = context.file_store.resolve()
        path = (root / attachment.stored_path).resolve()
        try:
            found = os.stat(path)
        except OSError:
            found = None
        if not path.is_relative_to(root) or found is None or not stat.S_ISREG(found.st_mode):
            raise Refused(404, _("The stored file is missing."))
        media_type = (attachment.content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        inline = media_type in ("image/jpeg", "image/png", "application/pdf")
        return FileResponse(path, media_type=media_type if inline else "application/octet-stream",
                            filename=path.name, stat_result=found,
                            content_disposition_type="inline" if inline else "attachment")

    # Complaints ------------------------------------------------------------------------------------

    @router.get("/complaints")
    async def complaint_list(request: Request, me: Me) -> Response:
        params = request.query_params
        visible, office = scoped(me, params.get("office"))
        status = params.get("status") if params.get("status") in COMPLAINT_STATUSES else None
        overdue = params.get("overdue") == "1"
        query = (params.get("q") or "").strip()[:100]
        number = parse_complaint_number(query) if query else None
        page = page_of(request)
        async with context.sessions() as session:
            repositories, _cs, complaints, _b = services(session)
            found = [] if query and number is None else await repositories.console.complaints(
                offices=visible, office=office, status=status, overdue_before=today() if overdue else None,
                number=number, limit=PAGE + 1, offset=(page - 1) * PAGE)
            rows = [{"complaint": c, "overdue": complaints.is_overdue(c), "office": office_name(c.office_id)}
                    for c in found[:PAGE]]
        return render(context, "complaints.html", me, rows=rows, offices=office_choices(me), office=office or "",
                      statuses=COMPLAINT_STATUSES, status=status or "", overdue=overdue, q=query, page=page,
                      more=len(found) > PAGE)

    async def load_complaint(complaints: ComplaintService, me: Visitor, number: str, action: str) -> Any:
        try:
            complaint = await complaints.get(number)
        except ComplaintNotFound:
            raise Refused(404, _("No complaint {number}.").format(number=number)) from None
        if not me.staff.may_see(complaint.office_id):
            raise await refuse(me, action, f"complaint:{complaint.number}")
        return complaint

    def complaint_page(me: Visitor, complaint: Any, complaints: ComplaintService, code: int = 200,
                       error: str | None = None, done: bool = False) -> Response:
        handles = me.staff.may_handle(complaint.office_id)
        return render(context, "complaint.html", me, code=code, complaint=complaint,
                      office=office_name(complaint.office_id), overdue=complaints.is_overdue(complaint),
                      personal=handles, outcomes=[o.value for o in Outcome],
                      actions=[a.value for a in complaints.actions(complaint) if a in CLERK_ACTIONS] if handles
                      else [], error=error, done=done)

    @router.get("/complaints/{number}")
    async def complaint_view(number: str, request: Request, me: Me) -> Response:
        async with context.sessions() as session:
            repositories, _cs, complaints, _b = services(session)
            complaint = await load_complaint(complaints, me, number, "complaint.view")
            audit(repositories, me, "complaint.view", f"complaint:{complaint.number}",
                  personal=me.staff.may_handle(complaint.office_id))
            await repositories.commit()
            return complaint_page(me, complaint, complaints, done=request.query_params.get("done") == "1")

    @router.post("/complaints/{number}/move")
    async def complaint_move(number: str, request: Request, me: Me) -> Response:
        form = await read_form(request)
        check_csrf(request, me.session, form)
        try:
            action = ComplaintAction(form.get("action", ""))
        except ValueError:
            raise Refused(400, _("The form could not be read.")) from None
        async with context.sessions() as session:
            repositories, _cs, complaints, _b = services(session)
            complaint = await load_complaint(complaints, me, number, f"complaint.{action.value}")
            if not me.staff.may_handle(complaint.office_id) or action not in CLERK_ACTIONS:
                raise await refuse(me, f"complaint.{action.value}", f"complaint:{complaint.number}")
            audit(repositories, me, f"complaint.{action.value}", f"complaint:{complaint.number}",
                  from_status=complaint.status, outcome=form.get("outcome") or None)
            try:
                moved = await complaints.transition(complaint.number or number, action, me.staff.actor,
                                                    comment=form.get("comment") or None,
                                                    outcome=form.get("outcome") or None)
            except IllegalTransition as exc:
                await session.rollback()
                complaint = await load_complaint(complaints, me, number, "complaint.view")
                return complaint_page(me, complaint, complaints, code=409, error=complaint_refusal(exc))
        return RedirectResponse(f"/console/complaints/{moved.number}?done=1", status_code=303)

    # Visits ----------------------------------------------------------------------------------------

    def board(day_bookings: list[Booking], limit: int) -> dict[str, Any]:
        waited = {b.id: round(w) for b in day_bookings if (w := waited_minutes(b)) is not None}
        within = sum(1 for w in waited.values() if w <= limit)
        return {
            "expected": [b for b in day_bookings if b.status == "active" and b.arrived_at is None],
            "waiting": [b for b in day_bookings if b.status == "active" and b.arrived_at is not None],
            "served": [b for b in day_bookings if b.status == "served"],
            "no_show": [b for b in day_bookings if b.status == "no_show"],
            "waited": waited, "within": within, "limit": limit,
            "share": within / len(waited) if waited else None,
        }

    @router.get("/visits")
    async def visits(request: Request, me: Me) -> Response:
        choices = office_choices(me)
        _visible, office = scoped(me, request.query_params.get("office"))
        office = office or (choices[0][0] if choices else None)
        try:
            day = date.fromisoformat(request.query_params.get("date", "")) if request.query_params.get("date") \
                else today()
        except ValueError:
            day = today()
        values: dict[str, Any] = {}
        if office is not None:
            standard = offices[office][0]
            async with context.sessions() as session:
                _r, _cs, _c, bookings = services(session)
                day_bookings = list(await bookings.day(office, day))
            values = board(day_bookings, standard.queue.submit_minutes or 40)
            values["service_name"] = service_name
        return render(context, "visits.html", me, offices=choices, office=office or "", day=day,
                      may_mark=bool(office and me.staff.may_handle(office)), now=context.clock(), **values)

    @router.post("/visits/{number}/mark")
    async def visit_mark(number: str, request: Request, me: Me) -> Response:
        form = await read_form(request)
        check_csrf(request, me.session, form)
        event = form.get("event", "")
        async with context.sessions() as session:
            repositories, _cs, _c, bookings = services(session)
            booking = await repositories.console.booking(number)
            if booking is None:
                raise Refused(404, _("There is no such visit."))
            if not me.staff.may_handle(booking.office_id):
                raise await refuse(me, f"visit.{event[:16]}", f"visit:{booking.number}")
            office, day = booking.office_id, booking.starts_at.astimezone(ALMATY).date()
            audit(repositories, me, f"visit.{event[:16]}", f"visit:{booking.number}")
            try:
                await bookings.mark(number, event)
            except BookingError as exc:
                await session.rollback()
                raise Refused(409, _("Not done: {reason}").format(reason=exc.code)) from None
        return RedirectResponse(f"/console/visits?office={office}&date={day.isoformat()}", status_code=303)

    # Indicators ------------------------------------------------------------------------------------

    async def indicator_report(request: Request, me: Visitor, action: str) -> tuple[IndicatorReport, dict[str, Any]]:
        """The report the query asks for, within the role: a supervisor (or a clerk of every
        office) any standard and office or all of a standard's offices; a clerk one of their
        offices (another is refused and recorded)."""
        params = request.query_params
        visible = me.staff.visible_offices(offices)
        wanted = params.get("office") or ""
        if wanted and wanted not in offices:
            raise Refused(404, _("There is no such office."))
        if wanted and visible is not None and wanted not in visible:
            raise await refuse(me, action, f"office:{wanted}")
        locale = context.i18n.current_locale

        def provided(sid: str) -> list[tuple[str, str]]:
            if sid not in context.catalog.standards:
                return []
            return sorted(((o.id, o.name.get(locale)) for o in context.catalog.offices_of(sid)
                           if visible is None or o.id in visible), key=lambda pair: pair[1])

        standards = [sid for sid in context.catalog.standards if provided(sid)]
        if not standards:
            raise await refuse(me, action, None)
        standard_id = params.get("standard") or ""
        if wanted and wanted not in {oid for oid, _n in provided(standard_id)}:
            standard_id = next(sid for sid in standards if wanted in {oid for oid, _n in provided(sid)})
        if standard_id not in standards:
            standard_id = standards[0]
        office: str | None = wanted or None
        if office is None and visible is not None:  # a clerk: their first office of the standard
            office = provided(standard_id)[0][0]
        now = context.clock()
        period = period_of(params.get("period"), now)
        async with context.sessions() as session:
            found = await report(Repositories(session), context.catalog, standard_id=standard_id, office_id=office,
                                 period=period, now=now)

        def standard_name(sid: str) -> str:
            s = context.catalog.standard(sid)
            return f"{service_name(s.service)} · {context.catalog.regions[s.region].name.get(locale)}"

        choices = {
            "standards": [(sid, standard_name(sid)) for sid in standards],
            "offices": provided(standard_id),
            "all_offices": visible is None, "standard": standard_id, "office": office or "",
            "period": str(period), "period_name": period_label(period, locale),
            "periods": period_choices(now, period, locale),
        }
        return found, choices

    def export_name(found: IndicatorReport, extension: str) -> str:
        return f"indicators-{found.office_id or found.standard_id}-{found.period}.{extension}"

    @router.get("/indicators")
    async def indicators(request: Request, me: Me) -> Response:
        found, choices = await indicator_report(request, me, "indicators.view")
        query = urlencode({"standard": choices["standard"], "office": choices["office"],
                           "period": choices["period"]})
        return render(context, "indicators.html", me, report=found, chart=chart, verdict_text=verdict_text,
                      reason_text=reason_text, query=query, **choices)

    @router.get("/indicators.csv")
    async def indicators_csv(request: Request, me: Me) -> Response:
        found, _choices = await indicator_report(request, me, "indicators.export")
        return Response(to_csv(found, context.i18n.current_locale), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{export_name(found, "csv")}"'})

    @router.get("/indicators.xlsx")
    async def indicators_xlsx(request: Request, me: Me) -> Response:
        found, _choices = await indicator_report(request, me, "indicators.export")
        return Response(to_xlsx(found, context.i18n.current_locale), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{export_name(found, "xlsx")}"'})

    # Hand-offs and the audit log ---------------------------------------------------------------------

    @router.get("/handoffs")
    async def handoffs(me: Me) -> Response:
        now = context.clock()
        async with context.sessions() as session:
            waiting = await Repositories(session).console.open_handoffs()
        rows = [{"handoff": h, "minutes": max(0, int((now - h.opened_at).total_seconds() // 60))} for h in waiting]
        return render(context, "handoffs.html", me, rows=rows)

    @router.get("/audit")
    async def audit_log(request: Request, me: Me) -> Response:
        if not me.staff.supervisor:
            raise await refuse(me, "audit.view", None)
        before = request.query_params.get("before", "")
        source = request.query_params.get("source") or None
        async with context.sessions() as session:
            entries = await Repositories(session).audit.page(limit=PAGE + 1, before_id=int(before) if before.isdigit()
                                                             else None, source=source)
        return render(context, "audit.html", me, entries=entries[:PAGE], more=len(entries) > PAGE,
                      source=source or "")

    return router

