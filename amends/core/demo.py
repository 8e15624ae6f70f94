"""Demo data: a small agency, five clients and six cases that tell the method's stories.

Northlight Studio (web, e-learning and design) has let three clients down in three
different ways, each drawn from the method's sources:

- Harbour & Vine, a wine merchant: the website launch slipped and an invoice for extra
  hours arrived unannounced, with the budget 90% used ("surprise is the enemy").
  The plan is agreed and the team is rebuilding trust with small, kept promises, a
  discount, regular check-ins and positives said out loud.
- Fernleigh Housing: training modules below the expected quality. The team is
  listening: concerns in the client's words, expectations on both sides, a
  constraint with its reason, and a plan that cannot be agreed yet because one action
  has no measure of success.
- Calder Logistics: the client's operations director belittled our designer on a
  call and then wrote an angry email. Just opened; nobody has replied yet.

Around them: Ashdown Dental (late reports, plan agreed but no next check-in booked),
an older resolved case at Fernleigh, and Marlow Fitness, a client the firm lost.

Every write goes through the same action functions the pages and the API use, with
dates relative to now so the "Needs attention" page always has something on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from amends.accounts.actions import create_user, set_team_membership
from amends.accounts.models import User
from amends.cases.actions import (
    add_to_case,
    mark_commitment_kept,
    mark_commitment_missed,
    open_case,
    transition_case,
    update_in_case,
)
from amends.cases.models import Case
from amends.clients.actions import add_contact, add_engagement, create_client
from amends.clients.models import Client, Contact
from amends.comms.actions import record_communication
from amends.comms.models import Communication

DEMO_PASSWORD = "amends-demo-2026"
LONDON = ZoneInfo("Europe/London")

EMAIL = Communication.Channel.EMAIL
CALL = Communication.Channel.CALL
MEETING = Communication.Channel.MEETING
NOTE = Communication.Channel.NOTE
IN = Communication.Direction.IN
OUT = Communication.Direction.OUT
INTERNAL = Communication.Direction.INTERNAL
S = Case.Status


@dataclass(frozen=True)
class DemoPerson:
    """One demo login, with a line saying what they see."""

    username: str
    display_name: str
    email: str
    is_admin: bool
    about: str


PEOPLE = (
    DemoPerson(
        "maya",
        "Maya Okafor",
        "maya@northlight.example",
        True,
        "director and admin: sees every client",
    ),
    DemoPerson(
        "tom",
        "Tom Hargreaves",
        "tom@northlight.example",
        False,
        "account manager: Harbour & Vine, Ashdown Dental, Marlow Fitness",
    ),
    DemoPerson(
        "priya",
        "Priya Shah",
        "priya@northlight.example",
        False,
        "project manager: Fernleigh Housing, Marlow Fitness, Harbour & Vine",
    ),
    DemoPerson(
        "sam",
        "Sam Whitfield",
        "sam@northlight.example",
        False,
        "learning and design lead: Calder Logistics, Fernleigh Housing, Ashdown Dental",
    ),
    DemoPerson(
        "jo",
        "Jo Adeyemi",
        "jo@northlight.example",
        False,
        "freelance designer: sees only Calder Logistics",
    ),
)


@dataclass
class DemoSummary:
    """What was loaded, for the command to print."""

    people: tuple[DemoPerson, ...]
    password: str
    clients: int
    cases: dict[str, int] = field(default_factory=dict)


def demo_usernames() -> list[str]:
    """The demo logins' usernames, to tell whether the demo people exist."""
    return [p.username for p in PEOPLE]


class _Clock:
    """Dates relative to now, in London time, on working days where it matters."""

    def __init__(self, now: datetime):
        self.now = now
        self.today = now.astimezone(LONDON).date()

    def day(self, working_days_ago: int, hh: int, mm: int = 0) -> datetime:
        """hh:mm on the working day that many working days before today (always past)."""
        if working_days_ago < 1:
            raise ValueError("day() is for past working days; use hours_ago() for today.")
        return datetime.combine(self._shift(-working_days_ago), time(hh, mm), tzinfo=LONDON)

    def ahead(self, working_days: int, hh: int, mm: int = 0) -> datetime:
        """hh:mm on the working day that many working days after today (always future)."""
        if working_days < 1:
            raise ValueError("ahead() is for future working days; use hours_ahead() for today.")
        return datetime.combine(self._shift(working_days), time(hh, mm), tzinfo=LONDON)

    def date_ago(self, working_days: int) -> date:
        return self._shift(-working_days)

    def date_ahead(self, working_days: int) -> date:
        return self._shift(working_days)

    def hours_ago(self, hours: float) -> datetime:
        return (self.now - timedelta(hours=hours)).replace(second=0, microsecond=0)

    def hours_ahead(self, hours: float) -> datetime:
        """Roughly `hours` from now, on the half hour (so it reads like a real booking)."""
        t = (self.now + timedelta(hours=hours)).astimezone(LONDON)
        return t.replace(minute=0 if t.minute < 30 else 30, second=0, microsecond=0)

    def recent(self, hh: int, mm: int, evening_hh: int, evening_mm: int) -> datetime:
        """Earlier today at hh:mm if that was during today's working day and at least
        half an hour ago; otherwise the previous working day's evening (always past)."""
        candidate = datetime.combine(self.today, time(hh, mm), tzinfo=LONDON)
        if self.today.weekday() < 5 and candidate <= self.now - timedelta(minutes=30):
            return candidate
        return self.day(1, evening_hh, evening_mm)

    def soon(self, index: int, times: tuple[time, ...]) -> datetime:
        """The index-th booking slot from now on, within the next 44 hours.

        Working-day slots come first, so bookings read naturally; the 44-hour bound
        keeps them inside the two-day "due soon" window of the attention page."""
        slots = [
            t
            for offset in range(3)
            for at in times
            if self.now + timedelta(hours=1)
            < (t := datetime.combine(self.today + timedelta(days=offset), at, tzinfo=LONDON))
            <= self.now + timedelta(hours=44)
        ]
        slots.sort(key=lambda t: (t.weekday() >= 5, t))
        return slots[index] if index < len(slots) else self.hours_ahead(10 + 10 * index)

    def _shift(self, working_days: int) -> date:
        step = 1 if working_days > 0 else -1
        d, left = self.today, abs(working_days)
        while left:
            d += timedelta(days=step)
            if d.weekday() < 5:
                left -= 1
        return d


class _Builder:
    def __init__(self, password: str, now: datetime):
        self.password = password
        self.at = _Clock(now)
        self.users: dict[str, User] = {}

    # -------------------------------------------------------------- helpers

    def comm(self, actor: User, client: Client, **fields: Any) -> Communication:
        return record_communication(actor, client, **fields)

    def part(self, actor: User, case: Case, part_kind: str, /, **fields: Any) -> Any:
        return add_to_case(actor, case, part_kind, **fields)

    def move(
        self,
        actor: User,
        case: Case,
        to: str,
        when: datetime,
        *,
        reason: str = "",
        confirmation: str = "",
    ) -> Case:
        return transition_case(
            actor, case, to=to, now=when, reason=reason, confirmation=confirmation
        )

    # -------------------------------------------------------------- people

    def people(self) -> None:
        for p in PEOPLE:
            self.users[p.username] = create_user(
                None,
                username=p.username,
                password=self.password,
                email=p.email,
                display_name=p.display_name,
                is_admin=p.is_admin,
            )

    # -------------------------------------------------------------- stories

    def build(self) -> None:
        self.people()
        self.harbour_and_vine()
        self.demo_mail()
        self.fernleigh()
        self.calder()
        self.ashdown()
        self.marlow()
        self.waiting_mail()

    def waiting_mail(self) -> None:
        """Mail from people who are no client yet, waiting in triage."""
        from amends.core.demo_mail import load_demo_triage

        load_demo_triage(self.at.day)

    def demo_mail(self) -> None:
        """Imported email (a thread with folded quotes and an attachment) and a weekly
        check-in from a calendar export, through the real import code."""
        from amends.core.demo_mail import load_demo_mail

        client = Client.objects.get(name="Harbour & Vine")
        load_demo_mail(self.users["tom"], client, self.at.day)

    def harbour_and_vine(self) -> None:
        """Story A: a launch that slipped and a surprise invoice; now rebuilding."""
        maya, tom, priya = self.users["maya"], self.users["tom"], self.users["priya"]
        at = self.at
        client = create_client(
            maya,
            name="Harbour & Vine",
            email_domains="harbourandvine.example",
            timezone="Europe/London",
            owner=tom,
            backup=priya,
            notes=(
                "Independent wine merchant in Bristol, two shops and a growing online "
                "trade. Rachel founded it; Owen runs the web shop day to day."
            ),
        )
        rachel = add_contact(
            tom,
            client,
            name="Rachel Bennett",
            email="rachel@harbourandvine.example",
            role="Managing director",
            phone="0117 496 0321",
        )
        owen = add_contact(
            tom,
            client,
            name="Owen Price",
            email="owen@harbourandvine.example",
            role="E-commerce manager",
        )
        site = add_engagement(
            tom,
            client,
            name="Website relaunch and new shop",
            budget=Decimal("24000.00"),
            used=Decimal("21600.00"),
            currency="GBP",
            starts_on=at.date_ago(70),
            due_on=at.date_ahead(8),
        )
        self.comm(
            tom,
            client,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(45, 16, 5),
            contact=rachel,
            person=tom,
            subject="Launch plan for the new site",
            summary=(
                "Hi Rachel,\n\nAttached is the launch plan we agreed this week: "
                "product import in two batches, then the new checkout, then go-live "
                "ahead of the tasting season.\n\nTom"
            ),
        )
        self.comm(
            tom,
            client,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(19, 11, 30),
            contact=owen,
            person=tom,
            subject="This month's invoice",
            summary=(
                "Hi Owen,\n\nPlease find this month's invoice attached. It includes "
                "38 hours for the extra product-data clean-up.\n\nBest,\nTom"
            ),
        )
        complaint = self.comm(
            tom,
            client,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.day(17, 8, 52),
            contact=rachel,
            subject="The launch, and this invoice",
            summary=(
                "Tom,\n\nI'll be blunt. We found out the launch had slipped from our own "
                "customers asking where the new site was. Then an invoice for 38 extra "
                "hours turned up with no warning. Nobody asked us before doing that work, "
                "and it takes us to almost the whole budget.\n\nHonestly, we feel like "
                "we're the last to know about our own project. Will the new date actually "
                "hold this time?\n\nRachel"
            ),
        )
        case = open_case(
            tom,
            client,
            title="Launch slipped and a surprise invoice",
            severity=Case.Severity.HIGH,
            engagement=site,
            opened_at=complaint.occurred_at,
            summary=(
                "The go-live date moved three weeks without Rachel being told, and the "
                "month's invoice billed 38 hours of data clean-up nobody had agreed. The "
                "budget is 90% used. Rachel is angry and unsure whether to trust our dates."
            ),
        )
        call = self.comm(
            tom,
            client,
            case=case,
            channel=CALL,
            direction=OUT,
            occurred_at=at.day(17, 11, 0),
            contact=rachel,
            person=tom,
            subject="Call with Rachel: apology and next steps",
            summary=(
                "Thirty minutes with Rachel. Thanked her for telling us straight. Said sorry "
                "for not telling her the date had moved and for billing hours she had not "
                "approved. Listened: the customers asking was what hurt most. Agreed I "
                "would send a written breakdown of the hours and a dated plan."
            ),
        )
        self.comm(
            tom,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(17, 15, 20),
            contact=rachel,
            person=tom,
            recap_of=call,
            subject="Thank you for this morning's call",
            summary=(
                "Rachel,\n\nThank you for taking the time to talk this morning, and "
                "for raising this with us directly. To recap:\n\n- We should have told "
                "you the moment the date moved. We didn't, and I'm sorry.\n- The 38 "
                "hours should have been a quote you approved first.\n- Within two "
                "days you'll have a line-by-line breakdown of those hours.\n- Within "
                "four, a "
                "plan with a date for each remaining page.\n\nTom"
            ),
        )
        case = self.move(tom, case, S.ACKNOWLEDGED, at.day(17, 15, 25))
        case = self.move(tom, case, S.ASSESSING, at.day(16, 9, 30))

        c_slip = self.part(
            tom,
            case,
            "concern",
            kind="concern",
            communication=complaint,
            source="Rachel's email",
            raised_at=complaint.occurred_at,
            text=(
                "We found out the launch had slipped from our own customers "
                "asking where the new site was."
            ),
        )
        c_invoice = self.part(
            tom,
            case,
            "concern",
            kind="concern",
            communication=complaint,
            source="Rachel's email",
            raised_at=complaint.occurred_at,
            text=(
                "An invoice for 38 extra hours turned up with no warning. "
                "Nobody asked us before doing that work."
            ),
        )
        c_feeling = self.part(
            tom,
            case,
            "concern",
            kind="feeling",
            communication=complaint,
            source="Rachel's email",
            raised_at=complaint.occurred_at,
            text="Honestly, we feel like we're the last to know about our own project.",
        )
        self.part(
            tom,
            case,
            "concern",
            kind="question",
            communication=complaint,
            source="Rachel's email",
            raised_at=complaint.occurred_at,
            text="Will the new date actually hold this time?",
            answer=(
                "The new date rests on the product import, which is now complete. We "
                "will confirm each milestone in writing the day it is reached, so you "
                "will know before anyone else does."
            ),
        )
        e_launch = self.part(
            tom,
            case,
            "expectation",
            agreed=True,
            expected_by_client=(
                "The new site live before the tasting season, with plenty of "
                "notice if anything changed."
            ),
            expected_by_team=(
                "Go-live would follow the product import; we assumed a later date "
                "was understood once the data turned out messier than expected."
            ),
            delivered=(
                "The site is not live yet; the date moved three weeks and Rachel heard "
                "it from customers."
            ),
        )
        e_budget = self.part(
            tom,
            case,
            "expectation",
            agreed=True,
            expected_by_client="No spending beyond the agreed £24,000 without being asked first.",
            expected_by_team="Small overruns could be billed at the end of the month.",
            delivered="38 hours billed without warning, taking the budget to 90%.",
            constraint="Gift cards cannot be part of the launch.",
            constraint_reason=(
                "The payment provider takes about four weeks to approve gift "
                "cards; adding them now would move the launch again. We "
                "discussed it with Rachel and she chose to launch without them."
            ),
        )
        a_breakdown = self.part(
            tom,
            case,
            "action",
            title="Send a line-by-line breakdown of the 38 extra hours",
            horizon="immediate",
            owner=tom,
            deadline=at.date_ago(15),
            concern=c_invoice,
            success_measure="Rachel confirms she understands every line of last month's invoice",
        )
        a_replan = self.part(
            priya,
            case,
            "action",
            title="Re-plan the remaining pages with a date for each",
            horizon="immediate",
            owner=priya,
            deadline=at.date_ago(14),
            concern=c_slip,
            expectation=e_launch,
            success_measure="Every remaining page has a date Rachel has seen and accepted",
        )
        self.part(
            tom,
            case,
            "action",
            title="Send a budget utilisation note every fortnight, and at 75% and 90% used",
            horizon="short",
            owner=tom,
            deadline=at.date_ago(3),
            status="in_progress",
            expectation=e_budget,
            success_measure=(
                "No invoice reaches Rachel without a utilisation note at least a week before it"
            ),
        )
        self.part(
            priya,
            case,
            "action",
            title=(
                "Add a change-request step: written estimate and Rachel's go-ahead before "
                "extra work starts"
            ),
            horizon="short",
            owner=priya,
            deadline=at.date_ahead(6),
            concern=c_feeling,
            success_measure="Every change since the plan was agreed has an approved estimate",
        )
        self.part(
            maya,
            case,
            "action",
            title="Make utilisation notes part of every fixed-budget engagement",
            horizon="long",
            owner=maya,
            deadline=at.date_ahead(45),
            success_measure="All engagements with a budget get a note at 50%, 75% and 90%",
        )
        first_checkin = self.part(
            tom,
            case,
            "checkin",
            scheduled_at=at.day(10, 10, 0),
            agenda=(
                "1. What is going well\n2. Where things stand: import, checkout, pages\n"
                "3. How we move forward\n4. When we next check in\n5. Milestones"
            ),
        )
        case = self.move(tom, case, S.AGREED, at.day(14, 16, 0))
        self.part(
            tom,
            case,
            "milestone",
            title="Plan agreed with Rachel",
            due_on=at.date_ago(14),
            reached_at=at.day(14, 16, 0),
        )
        case = self.move(tom, case, S.REBUILDING, at.day(13, 9, 0))

        update_in_case(tom, a_breakdown, version=None, status="done")
        update_in_case(priya, a_replan, version=None, status="done")

        # Small promises, most kept on time, one late, one overdue, two due soon (R21).
        plan_promise = self.part(
            tom,
            case,
            "commitment",
            owner=priya,
            contact=rachel,
            to_whom="Rachel",
            due_at=at.day(13, 17, 0),
            what="Send a revised plan with a date for each remaining page",
        )
        mark_commitment_kept(priya, plan_promise, at=at.day(13, 15, 40))
        hours_promise = self.part(
            tom,
            case,
            "commitment",
            owner=tom,
            contact=rachel,
            to_whom="Rachel",
            due_at=at.day(15, 17, 0),
            what="Send a written breakdown of the 38 extra hours",
        )
        mark_commitment_kept(tom, hours_promise, at=at.day(14, 10, 15))
        staging = self.part(
            tom,
            case,
            "commitment",
            owner=priya,
            contact=owen,
            to_whom="Owen",
            due_at=at.day(8, 12, 0),
            what="Put the new checkout on the staging site for Owen to test",
        )
        mark_commitment_kept(priya, staging, at=at.day(9, 16, 30))
        self.part(
            tom,
            case,
            "commitment",
            owner=tom,
            contact=rachel,
            to_whom="Rachel",
            due_at=at.day(2, 17, 0),
            what="Send the credit note for the agreed 15% discount",
        )
        self.part(
            tom,
            case,
            "commitment",
            owner=priya,
            contact=owen,
            to_whom="Owen",
            due_at=at.soon(0, (time(12, 0), time(17, 0))),
            what="Confirm the product import has been checked against the stock list",
        )
        self.part(
            tom,
            case,
            "commitment",
            owner=tom,
            contact=rachel,
            to_whom="Rachel",
            due_at=at.soon(1, (time(12, 0), time(17, 0))),
            what="Send the fortnightly budget utilisation note",
        )

        discount = self.part(
            tom,
            case,
            "concession",
            kind="discount",
            currency="GBP",
            description="15% off last month's invoice, for the 38 hours billed without approval",
            value=Decimal("1140.00"),
            cost=Decimal("1140.00"),
        )
        update_in_case(tom, discount, version=None, status="accepted")
        self.part(
            tom,
            case,
            "concession",
            kind="free_work",
            currency="GBP",
            description="30 days of post-launch care at no charge: fixes and small tweaks",
            value=Decimal("1200.00"),
            cost=Decimal("650.00"),
        )

        update_in_case(
            tom,
            first_checkin,
            version=None,
            held_at=at.day(10, 10, 5),
            notes=(
                "Rachel and Owen joined. Owen has tested the checkout on staging "
                "and found one small problem with delivery postcodes, already "
                "fixed. Rachel asked for the utilisation note before the next "
                "invoice, not after."
            ),
            outcome="On track. Rachel is warmer; she said the breakdown helped.",
        )
        checkin_call = self.comm(
            tom,
            client,
            case=case,
            channel=CALL,
            direction=OUT,
            occurred_at=at.day(10, 10, 5),
            contact=rachel,
            person=tom,
            subject="Check-in call",
            summary="Weekly check-in with Rachel and Owen; notes are on the case.",
        )
        self.comm(
            tom,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(10, 14, 0),
            contact=rachel,
            person=tom,
            recap_of=checkin_call,
            subject="Recap of today's check-in",
            summary=(
                "Rachel, Owen,\n\nThank you both for your time today, and Owen, "
                "thank you for testing the checkout so quickly. The postcode fix is "
                "live on staging. Next: the product import check, then go-live.\n\nTom"
            ),
        )
        self.part(
            tom,
            case,
            "milestone",
            title="New checkout on staging",
            due_on=at.date_ago(8),
            reached_at=at.day(9, 16, 30),
        )
        self.part(tom, case, "milestone", title="New site live", due_on=at.date_ahead(8))
        self.part(
            tom, case, "milestone", title="Post-launch review with Rachel", due_on=at.date_ahead(30)
        )
        self.part(
            tom,
            case,
            "checkin",
            scheduled_at=at.soon(0, (time(10, 0), time(14, 0))),
            agenda=(
                "1. What is going well: checkout tested, import done\n"
                "2. Where things stand: budget at 90%, credit note\n"
                "3. How we move forward: go-live week\n"
                "4. When we next check in\n5. Milestones: go-live, review"
            ),
        )

        self.part(
            tom,
            case,
            "positive",
            by_client=True,
            noted_at=at.day(11, 9, 0),
            text=(
                "Rachel sent the product photography two days early, which let us "
                "start the import ahead of plan."
            ),
        )
        self.part(
            tom,
            case,
            "positive",
            by_client=True,
            noted_at=at.day(9, 17, 0),
            text=(
                "Owen tested the checkout within a day and wrote up the postcode "
                "problem clearly enough to fix in an hour."
            ),
        )
        self.part(
            tom,
            case,
            "positive",
            by_client=False,
            noted_at=at.day(13, 15, 40),
            text=(
                'The revised plan went out early and Rachel replied: "This is what '
                'we needed from the start."'
            ),
        )

        # An email from today that nobody has answered yet (R1).
        self.comm(
            tom,
            client,
            case=case,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.recent(9, 20, 18, 5),
            contact=rachel,
            subject="Credit note?",
            summary=(
                "Hi Tom, quick one: has the 15% been applied yet? Our bookkeeper is "
                "closing the month and is asking. Thanks, Rachel"
            ),
        )

    def fernleigh(self) -> None:
        """Story B (assessing) and an older case at the same client, resolved."""
        maya, priya, sam = self.users["maya"], self.users["priya"], self.users["sam"]
        at = self.at
        client = create_client(
            maya,
            name="Fernleigh Housing Association",
            email_domains="fernleigh.example",
            timezone="Europe/London",
            owner=priya,
            backup=sam,
            notes=(
                "Housing association, 4,000 homes in Somerset. We build the induction "
                "e-learning for their frontline housing officers."
            ),
        )
        gareth = add_contact(
            priya,
            client,
            name="Gareth Lloyd",
            email="gareth.lloyd@fernleigh.example",
            role="Learning and development lead",
        )
        aisha = add_contact(
            priya,
            client,
            name="Aisha Karim",
            email="aisha.karim@fernleigh.example",
            role="Senior housing officer (subject expert)",
        )
        modules = add_engagement(
            priya,
            client,
            name="Induction e-learning, six modules",
            budget_unit="hours",
            currency="",
            budget=Decimal("220.00"),
            used=Decimal("141.50"),
            starts_on=at.date_ago(60),
            due_on=at.date_ahead(25),
        )
        self._fernleigh_history(client, gareth)

        self.comm(
            priya,
            client,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(20, 15, 0),
            contact=gareth,
            person=priya,
            subject="Modules 1–3 ready for your review",
            summary=(
                "Hi Gareth,\n\nModules 1 to 3 are on the review site. We'd love your "
                "comments within a week.\n\nPriya"
            ),
        )
        complaint = self.comm(
            priya,
            client,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.day(8, 16, 40),
            contact=gareth,
            subject="Modules 1–3: not what we expected",
            summary=(
                "Priya,\n\nI've been through the three modules with Aisha and I'm afraid "
                "they are not at the standard we expected.\n\nModule 2 still refers to the "
                "2019 allocations policy, which we replaced last year. If our new starters "
                "learn the old rules, that is a real risk for tenants.\n\nWe counted over "
                "forty typos across the three modules. Our staff will notice, and it "
                "undermines the message.\n\nThe voice-over pronounces Fernleigh wrong "
                "throughout.\n\nTo be frank, we feel we were not consulted on the scripts "
                "at all. Can the six modules still be ready for the next induction cohort?\n\n"
                "Gareth"
            ),
        )
        case = open_case(
            priya,
            client,
            title="Training modules below the expected quality",
            severity=Case.Severity.MEDIUM,
            engagement=modules,
            opened_at=complaint.occurred_at,
            summary=(
                "Gareth and Aisha found an outdated policy, many typos and a mispronounced "
                "name in modules 1–3. They feel left out of the scripts. The next "
                "induction cohort depends on these modules."
            ),
        )
        self.comm(
            priya,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(7, 9, 35),
            contact=gareth,
            person=priya,
            subject="Re: Modules 1–3: not what we expected",
            summary=(
                "Gareth,\n\nThank you for going through the modules so carefully, "
                "and for telling us plainly. You are right: the policy reference, the "
                "typos and the pronunciation are our mistakes, and I'm sorry. Could "
                "we have thirty minutes this week to go through everything and "
                "agree a plan together? I'll bring Sam, who leads our learning "
                "design.\n\nPriya"
            ),
        )
        case = self.move(priya, case, S.ACKNOWLEDGED, at.day(7, 9, 40))
        case = self.move(priya, case, S.ASSESSING, at.day(6, 10, 0))

        # The call happened, but nobody has written the recap yet (R22).
        self.comm(
            priya,
            client,
            case=case,
            channel=CALL,
            direction=OUT,
            occurred_at=at.day(4, 14, 0),
            contact=gareth,
            person=priya,
            subject="Call with Gareth and Aisha about modules 1–3",
            summary=(
                "Priya and Sam with Gareth and Aisha, 35 minutes. Walked through "
                "every point in Gareth's email. Aisha offered to check the policy "
                "wording herself. Open question: re-record the voice-over now, or later "
                "with the original voice."
            ),
        )
        marked_up = self.comm(
            priya,
            client,
            case=case,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.day(2, 11, 10),
            contact=aisha,
            subject="Module 2 script, marked up",
            summary=(
                "Hi Priya, attached is the module 2 script with the policy wording "
                "corrected in red. Sections 4 and 7 needed the most changes. Aisha"
            ),
        )
        self.comm(
            priya,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(1, 9, 15),
            contact=aisha,
            person=priya,
            subject="Re: Module 2 script, marked up",
            summary=(
                "Aisha, thank you, this is exactly what we needed, and sooner than "
                "we hoped. We'll work your changes in this week. Priya"
            ),
        )

        c_policy = self.part(
            priya,
            case,
            "concern",
            kind="concern",
            communication=complaint,
            source="Gareth's email",
            raised_at=complaint.occurred_at,
            text=(
                "Module 2 still refers to the 2019 allocations policy, which we replaced last "
                "year. If our new starters learn the old rules, that is a real risk for "
                "tenants."
            ),
        )
        c_typos = self.part(
            priya,
            case,
            "concern",
            kind="concern",
            communication=complaint,
            source="Gareth's email",
            raised_at=complaint.occurred_at,
            text=(
                "We counted over forty typos across the three modules. Our staff will "
                "notice, and it undermines the message."
            ),
        )
        c_voice = self.part(
            priya,
            case,
            "concern",
            kind="concern",
            communication=complaint,
            source="Gareth's email",
            raised_at=complaint.occurred_at,
            text="The voice-over pronounces Fernleigh wrong throughout.",
        )
        c_feeling = self.part(
            priya,
            case,
            "concern",
            kind="feeling",
            communication=complaint,
            source="Gareth's email",
            raised_at=complaint.occurred_at,
            text="To be frank, we feel we were not consulted on the scripts at all.",
        )
        self.part(
            priya,
            case,
            "concern",
            kind="question",
            communication=complaint,
            source="Gareth's email",
            raised_at=complaint.occurred_at,
            text="Can the six modules still be ready for the next induction cohort?",
            answer=(
                "Yes for the content: corrected modules 1–3 and new modules 4–6 can be "
                "ready in time. The voice-over is the open question (see the constraint "
                "on the voice-over)."
            ),
        )
        self.part(
            priya,
            case,
            "expectation",
            expected_by_client=(
                "Six modules ready for the next induction cohort, proofread "
                "and matching current policy."
            ),
            expected_by_team=(
                "Fernleigh's subject experts would review the scripts before we "
                "recorded; we took silence as approval."
            ),
            delivered=(
                "Modules 1–3 delivered with typos, an outdated policy reference and a "
                "mispronounced name."
            ),
        )
        self.part(
            priya,
            case,
            "expectation",
            expected_by_client="A new voice-over for all six modules before the next cohort.",
            expected_by_team="Only the mispronounced lines would need re-recording.",
            delivered="Modules 1–3 recorded with the original voice artist.",
            constraint=(
                "All six modules cannot be re-recorded with the same voice before the next cohort."
            ),
            constraint_reason=(
                "Our voice artist is booked for the next six weeks. We can re-record "
                "modules 1–3 now with a second artist, or all six with the "
                "original voice when she is free, so the course sounds consistent. Gareth "
                "is asking the induction team which matters more."
            ),
        )
        self.part(
            priya,
            case,
            "action",
            title="Proofread modules 1–3 with a second editor and fix every error",
            horizon="immediate",
            owner=priya,
            deadline=at.date_ahead(3),
            concern=c_typos,
            status="in_progress",
            success_measure="Gareth's team finds no typos in a blind check of modules 1–3",
        )
        self.part(
            sam,
            case,
            "action",
            title="Replace every reference to the 2019 allocations policy, checked by Aisha",
            horizon="immediate",
            owner=sam,
            deadline=at.date_ahead(5),
            concern=c_policy,
            success_measure="Aisha signs off each policy reference in modules 1–3",
        )
        # The gap the method catches: no measure of success, so the plan can't be agreed.
        self.part(
            sam,
            case,
            "action",
            title="Re-record the voice-over for modules 1–3",
            horizon="short",
            owner=sam,
            deadline=at.date_ahead(10),
            concern=c_voice,
        )
        self.part(
            priya,
            case,
            "action",
            title="Subject-expert review of every script before it is recorded",
            horizon="short",
            owner=priya,
            deadline=at.date_ahead(7),
            concern=c_feeling,
            success_measure=(
                "Every script for modules 4–6 approved by a named Fernleigh expert before recording"
            ),
        )
        self.part(
            maya,
            case,
            "action",
            title="Add a client sign-off gate for scripts to our e-learning process",
            horizon="long",
            owner=maya,
            deadline=at.date_ahead(40),
            success_measure="No e-learning project records audio without a signed-off script",
        )
        self.part(
            priya,
            case,
            "checkin",
            scheduled_at=at.ahead(4, 10, 0),
            agenda=(
                "1. What is going well: Aisha's mark-up\n2. Corrected modules 1–3\n"
                "3. Voice-over decision\n4. Next check-in\n5. Milestones"
            ),
        )
        self.part(
            priya,
            case,
            "milestone",
            title="Corrected modules 1–3 signed off by Gareth",
            due_on=at.date_ahead(8),
        )
        self.part(
            priya,
            case,
            "positive",
            by_client=True,
            noted_at=marked_up.occurred_at,
            text="Aisha marked up the module 2 script herself, within two days of the call.",
        )

    def _fernleigh_history(self, client: Client, gareth: Contact) -> None:
        """An older case at Fernleigh, resolved: history and kept promises."""
        priya, sam = self.users["priya"], self.users["sam"]
        at = self.at
        complaint = self.comm(
            priya,
            client,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.day(140, 8, 30),
            contact=gareth,
            subject="Tomorrow's workshop cancelled?",
            summary=(
                "Priya, we've just heard tomorrow's induction workshop is off because the "
                "facilitator is ill. Twelve new starters have booked the day. What "
                "happens now? Gareth"
            ),
        )
        case = open_case(
            priya,
            client,
            title="Induction workshop cancelled at a day's notice",
            severity=Case.Severity.MEDIUM,
            opened_at=complaint.occurred_at,
            summary="The facilitator fell ill and nobody else was briefed to run the workshop.",
        )
        recap_call = self.comm(
            priya,
            client,
            case=case,
            channel=CALL,
            direction=OUT,
            occurred_at=at.day(140, 9, 10),
            contact=gareth,
            person=priya,
            subject="Call with Gareth about the cancelled workshop",
            summary=(
                "Apologised; offered a replacement date within a fortnight with Sam "
                "facilitating, and a recorded version for anyone who can't make it."
            ),
        )
        self.comm(
            priya,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(140, 11, 0),
            contact=gareth,
            person=priya,
            recap_of=recap_call,
            subject="Replacement workshop: what we agreed",
            summary=(
                "Gareth, thank you for the call and for being so understanding. As "
                "agreed: Sam will run the workshop in two weeks, and we'll record it. "
                "Priya"
            ),
        )
        case = self.move(priya, case, S.ACKNOWLEDGED, at.day(140, 11, 5))
        case = self.move(priya, case, S.ASSESSING, at.day(140, 11, 10))
        concern = self.part(
            priya,
            case,
            "concern",
            communication=complaint,
            raised_at=complaint.occurred_at,
            source="Gareth's email",
            text="Twelve new starters have booked the day. What happens now?",
        )
        self.part(
            priya,
            case,
            "action",
            title="Run the replacement workshop, facilitated by Sam",
            owner=sam,
            deadline=at.date_ago(130),
            concern=concern,
            status="done",
            success_measure="All twelve starters complete the workshop",
        )
        self.part(
            priya,
            case,
            "action",
            title="Brief a second facilitator for every workshop",
            horizon="short",
            owner=priya,
            deadline=at.date_ago(120),
            status="done",
            success_measure="Every workshop date has a named, briefed stand-in",
        )
        checkin = self.part(
            priya,
            case,
            "checkin",
            scheduled_at=at.day(128, 10, 0),
            agenda="How did the replacement workshop land?",
        )
        case = self.move(priya, case, S.AGREED, at.day(139, 10, 0))
        case = self.move(priya, case, S.REBUILDING, at.day(139, 10, 5))
        date_promise = self.part(
            priya,
            case,
            "commitment",
            owner=priya,
            contact=gareth,
            to_whom="Gareth",
            due_at=at.day(139, 17, 0),
            what="Confirm the replacement date and venue",
        )
        mark_commitment_kept(priya, date_promise, at=at.day(139, 14, 0))
        recording = self.part(
            priya,
            case,
            "commitment",
            owner=sam,
            contact=gareth,
            to_whom="Gareth",
            due_at=at.day(129, 17, 0),
            what="Send the workshop recording",
        )
        mark_commitment_kept(sam, recording, at=at.day(128, 9, 30))
        update_in_case(
            priya,
            checkin,
            version=None,
            held_at=at.day(128, 10, 0),
            notes="All twelve attended. Gareth liked Sam's session.",
            outcome="Gareth considers it closed.",
        )
        thanks = self.comm(
            priya,
            client,
            case=case,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.day(127, 16, 0),
            contact=gareth,
            subject="Thank you",
            summary=(
                "Thanks for sorting the replacement session so quickly. "
                "The starters loved it. Consider this closed. Gareth"
            ),
        )
        self.comm(
            priya,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(126, 9, 0),
            contact=gareth,
            person=priya,
            subject="Re: Thank you",
            summary="Thank you, Gareth, that means a lot to Sam and the team. Priya",
        )
        self.part(
            priya,
            case,
            "positive",
            by_client=True,
            noted_at=thanks.occurred_at,
            text="Gareth thanked the team and said the starters loved the session.",
        )
        self.move(
            priya,
            case,
            S.RESOLVED,
            at.day(126, 9, 30),
            confirmation=(
                "Gareth's email: \"Thanks for sorting the replacement session "
                'so quickly. Consider this closed."'
            ),
        )

    def calder(self) -> None:
        """Story C: the client's manager mistreated our designer. Just opened, no reply."""
        maya, sam, jo = self.users["maya"], self.users["sam"], self.users["jo"]
        at = self.at
        client = create_client(
            maya,
            name="Calder Logistics",
            email_domains="calderlogistics.example",
            timezone="Europe/London",
            owner=sam,
            backup=maya,
            notes=(
                "Regional haulier, three depots in West Yorkshire. We're refreshing their "
                "warehouse signage and wayfinding."
            ),
        )
        set_team_membership(maya, client_id=client.pk, user=jo)
        derek = add_contact(
            sam,
            client,
            name="Derek Wainwright",
            email="derek.wainwright@calderlogistics.example",
            role="Operations director",
        )
        add_contact(
            sam,
            client,
            name="Nadia Hussain",
            email="nadia.hussain@calderlogistics.example",
            role="Health and safety manager",
        )
        signage = add_engagement(
            sam,
            client,
            name="Warehouse signage and wayfinding refresh",
            budget=Decimal("18000.00"),
            used=Decimal("7200.00"),
            currency="GBP",
            starts_on=at.date_ago(30),
            due_on=at.date_ahead(35),
        )
        review = self.comm(
            sam,
            client,
            channel=MEETING,
            direction=OUT,
            occurred_at=at.day(1, 14, 0),
            contact=derek,
            person=sam,
            subject="Design review: depot signage, round two",
            summary=(
                "Video call with Derek and Nadia; Sam and Jo presenting. Nadia approved the "
                "colour coding for loading bays. Derek interrupted Jo's walkthrough several "
                'times, called the work "amateurish" and told her to "let the grown-ups '
                'talk".'
            ),
        )
        self.comm(
            sam,
            client,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(1, 16, 30),
            contact=derek,
            person=sam,
            recap_of=review,
            subject="Design review: what we agreed",
            summary=(
                "Derek, Nadia,\n\nThanks for your time today. Agreed: the loading-bay "
                "colours as presented; larger type on the yard signs; a revised set "
                "within a week.\n\nSam"
            ),
        )
        note = self.comm(
            sam,
            client,
            channel=NOTE,
            direction=INTERNAL,
            occurred_at=at.day(1, 17, 10),
            person=jo,
            subject="How the review felt",
            summary=(
                "Jo, after the call: \"I didn't want to make a scene in front of the "
                "client, but being told to let the grown-ups talk in front of everyone was "
                "humiliating. I'm not sure I want to present to Derek again.\""
            ),
        )
        case = open_case(
            sam,
            client,
            title="Client manager belittled our designer",
            severity=Case.Severity.HIGH,
            engagement=signage,
            opened_at=note.occurred_at,
            summary=(
                "During the design review Derek spoke to Jo with open contempt. Jo told us "
                "afterwards how it felt. This is ours to own: the work can be discussed, "
                "but nobody on the team is spoken to like that. Derek has since written "
                "in, angry, asking for Jo to be taken off the account."
            ),
        )
        angry = self.comm(
            sam,
            client,
            case=case,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.recent(8, 47, 21, 12),
            contact=derek,
            subject="Signage designs",
            summary=(
                "Sam,\n\nI'll be straight with you. The designs you showed us were amateurish and "
                "I don't have time to hold a junior designer's hand. I want someone senior "
                "on this from now on, and I don't expect to pay for a third round of "
                "drafts.\n\nDerek Wainwright\nOperations Director"
            ),
        )
        self.part(
            sam,
            case,
            "concern",
            kind="concern",
            source="Derek's email",
            raised_at=angry.occurred_at,
            communication=angry,
            text=(
                "I want someone senior on this from now on, and I don't expect to pay for a "
                "third round of drafts."
            ),
        )

    def ashdown(self) -> None:
        """Late reports; a plan agreed, its first check-in held, and no next one booked."""
        maya, tom, sam = self.users["maya"], self.users["tom"], self.users["sam"]
        at = self.at
        client = create_client(
            maya,
            name="Ashdown Dental Group",
            email_domains="ashdowndental.example",
            timezone="Europe/London",
            owner=tom,
            backup=sam,
            notes=(
                "Five dental practices in East Sussex. Search visibility and a monthly "
                "report on new-patient enquiries."
            ),
        )
        hannah = add_contact(
            tom,
            client,
            name="Dr Hannah Moss",
            email="hannah.moss@ashdowndental.example",
            role="Practice manager",
        )
        seo = add_engagement(
            tom,
            client,
            name="Local search and monthly reporting",
            budget_unit="hours",
            currency="",
            budget=Decimal("120.00"),
            used=Decimal("86.00"),
            starts_on=at.date_ago(120),
        )
        complaint = self.comm(
            tom,
            client,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.day(12, 9, 5),
            contact=hannah,
            subject="Monthly report, again",
            summary=(
                "Tom, this is the third month running the report has arrived after our "
                "partners' meeting. I end up presenting last month's numbers from memory. "
                "Can we fix this properly? Hannah"
            ),
        )
        case = open_case(
            tom,
            client,
            title="Monthly reports late three months running",
            severity=Case.Severity.LOW,
            engagement=seo,
            opened_at=complaint.occurred_at,
            summary="Reports have missed the partners' meeting three times.",
        )
        self.comm(
            tom,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(12, 11, 30),
            contact=hannah,
            person=tom,
            subject="Re: Monthly report, again",
            summary=(
                "Hannah, you're right, and I'm sorry: three late reports is not good "
                "enough. I'll send last month's within three days and propose a fixed date that "
                "works for your partners' meetings. Tom"
            ),
        )
        case = self.move(tom, case, S.ACKNOWLEDGED, at.day(12, 11, 35))
        case = self.move(tom, case, S.ASSESSING, at.day(11, 9, 0))
        concern = self.part(
            tom,
            case,
            "concern",
            communication=complaint,
            raised_at=complaint.occurred_at,
            source="Hannah's email",
            text="I end up presenting last month's numbers from memory.",
        )
        self.part(
            tom,
            case,
            "action",
            title="Send the report on the second working day of each month",
            owner=tom,
            deadline=at.date_ahead(12),
            concern=concern,
            success_measure="Three reports in a row arrive before the partners' meeting",
        )
        self.part(
            tom,
            case,
            "action",
            title="Automate the enquiry figures from the booking system",
            horizon="short",
            owner=sam,
            deadline=at.date_ahead(20),
            success_measure="Report preparation takes under an hour",
        )
        checkin = self.part(
            tom,
            case,
            "checkin",
            scheduled_at=at.day(5, 11, 0),
            agenda="Did last month's report arrive in time to be useful?",
        )
        case = self.move(tom, case, S.AGREED, at.day(9, 15, 0))
        promise = self.part(
            tom,
            case,
            "commitment",
            owner=tom,
            contact=hannah,
            to_whom="Hannah",
            due_at=at.day(8, 17, 0),
            what="Send last month's report",
        )
        mark_commitment_kept(tom, promise, at=at.day(8, 12, 0))
        self.comm(
            tom,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(8, 12, 0),
            contact=hannah,
            person=tom,
            subject="Monthly report",
            summary="Hannah, last month's report is attached. Tom",
        )
        update_in_case(
            tom,
            checkin,
            version=None,
            held_at=at.day(5, 11, 0),
            notes=(
                "Hannah used the report at the partners' meeting. She'd like the "
                "enquiries split by practice."
            ),
            outcome="Good start. Split by practice from next month.",
        )
        self.part(
            tom,
            case,
            "positive",
            by_client=True,
            noted_at=at.day(5, 11, 30),
            text=(
                "Hannah shared the partners' questions in advance so the next report "
                "can answer them."
            ),
        )

    def marlow(self) -> None:
        """A relationship the firm lost: history for the learning loop (R30)."""
        maya, tom, priya = self.users["maya"], self.users["tom"], self.users["priya"]
        at = self.at
        client = create_client(
            maya,
            name="Marlow Fitness",
            email_domains="marlowfitness.example",
            timezone="Europe/London",
            owner=priya,
            backup=tom,
            notes="Three gyms in Buckinghamshire. We built their members' app.",
        )
        kirsty = add_contact(
            priya,
            client,
            name="Kirsty Hale",
            email="kirsty@marlowfitness.example",
            role="Head of membership",
        )
        app = add_engagement(
            priya,
            client,
            name="Members' app",
            budget=Decimal("36000.00"),
            used=Decimal("36000.00"),
            currency="GBP",
            starts_on=at.date_ago(200),
            due_on=at.date_ago(120),
        )
        complaint = self.comm(
            priya,
            client,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.day(118, 8, 10),
            contact=kirsty,
            subject="The app",
            summary=(
                "Priya, these are our busiest weeks for new members and the app still "
                "isn't in the stores. We've promoted it in every gym. I need to know today "
                "whether it's going to happen. Kirsty"
            ),
        )
        case = open_case(
            priya,
            client,
            title="Members' app missed its promoted launch",
            severity=Case.Severity.CRITICAL,
            engagement=app,
            opened_at=complaint.occurred_at,
            summary=(
                "App store review rejected the build twice; the launch "
                "the gyms had promoted was missed after the gyms had promoted it."
            ),
        )
        self.comm(
            priya,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(118, 9, 45),
            contact=kirsty,
            person=priya,
            subject="Re: The app",
            summary=(
                "Kirsty, I'm sorry. The store rejected the build twice over the "
                "privacy wording. A corrected build goes in today; I'll call you at "
                "two with what that means for dates. Priya"
            ),
        )
        case = self.move(priya, case, S.ACKNOWLEDGED, at.day(118, 9, 50))
        case = self.move(priya, case, S.ASSESSING, at.day(117, 10, 0))
        self.part(
            priya,
            case,
            "concern",
            communication=complaint,
            raised_at=complaint.occurred_at,
            source="Kirsty's email",
            text=(
                "We've promoted it in every gym. I need to know today whether it's going to happen."
            ),
        )
        build = self.part(
            priya,
            case,
            "commitment",
            owner=priya,
            contact=kirsty,
            to_whom="Kirsty",
            due_at=at.day(112, 17, 0),
            what="Get the app approved in both stores",
        )
        mark_commitment_missed(priya, build)
        self.comm(
            priya,
            client,
            case=case,
            channel=EMAIL,
            direction=IN,
            occurred_at=at.day(108, 15, 0),
            contact=kirsty,
            subject="Decision on the app",
            summary=(
                "Priya, we've decided to take the app to our in-house team. We'll "
                "settle the final invoice. Please don't arrange a follow-up call. "
                "Kirsty"
            ),
        )
        self.comm(
            priya,
            client,
            case=case,
            channel=EMAIL,
            direction=OUT,
            occurred_at=at.day(108, 16, 30),
            contact=kirsty,
            person=priya,
            subject="Re: Decision on the app",
            summary=(
                "Kirsty, understood, and I'm sorry we let you down in your busiest "
                "month. The full source code and store accounts are ready to hand "
                "over whenever your team wants them. Priya"
            ),
        )
        self.move(
            priya,
            case,
            S.LOST,
            at.day(108, 16, 45),
            reason=(
                "Marlow moved the app to their in-house team after the "
                "promoted launch was missed; they paid the final invoice but declined a "
                "follow-up call."
            ),
        )


def load_demo(password: str = DEMO_PASSWORD, *, now: datetime | None = None) -> DemoSummary:
    """Load the demo firm, people, clients and cases into an empty database (one transaction)."""
    with transaction.atomic():
        builder = _Builder(password, now or timezone.now())
        builder.build()
    counts: dict[str, int] = {}
    for status in Case.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return DemoSummary(PEOPLE, password, Client.objects.count(), counts)
