# ruff: noqa: E501  (message text: one line per paragraph, as the email will read)
"""The default text of each message template, in the method's voice (R10–R13, R19, R22,
R3, R31, R32). Admins change them on /compose/templates/; these come back on reset."""

from __future__ import annotations

from amends.compose.models import Kind

_SIGNATURE = """
If anything is unclear, or you would rather talk it through, reply to this email or write to me at {{ owner.email|default:"this address" }}. I am your one point of contact for this{% if backup %}; when I am away, {{ backup.name }} {% if backup.email %}({{ backup.email }}) {% endif %}knows everything and will answer{% endif %}.

{{ owner.name }}"""

_NOTES_PLAN = """{% for item in notes.plan %}- {{ item }}
{% empty %}- [each step, with its date and who owns it]
{% endfor %}"""

DEFAULTS: dict[str, tuple[str, str]] = {
    Kind.FIRST_RESPONSE: (
        "{{ case.title }}: thank you for telling us",
        """Dear {{ contact.first_name|default:"there" }},

Thank you for raising this with us so clearly. I am sorry: we let you down, and that is our responsibility, not yours.

I am looking into exactly what happened now. You have my word on one small thing: I will write to you again by [day and time] with the facts and what we propose{% if next_checkin %}, and we can talk it through at our check-in on {{ next_checkin.when }}{% endif %}.
{% if notes.concerns %}
So that nothing is missed, this is what I understood you need answered:
{% for c in notes.concerns %}- {{ c }}
{% endfor %}{% endif %}"""
        + _SIGNATURE,
    ),
    Kind.FULL_RESPONSE: (
        "{{ case.title }}: what happened and what we will do",
        """Dear {{ contact.first_name|default:"there" }},

Thank you for raising this with us, and for being so clear about it.{% if notes.positives %} I also want to thank you for this: {{ notes.positives.0 }}{% endif %}

Our apology
I am sorry. We got this wrong and I take responsibility for it.

What happened
{% for item in notes.happened %}- {{ item }}
{% empty %}- [what exactly went wrong, in order, without excuses]
{% endfor %}{% if notes.not_ours %}
To be precise about the rest of the picture:
{% for item in notes.not_ours %}- {{ item }}
{% endfor %}{% endif %}
Where things stand
{% for item in notes.state %}- {{ item }}
{% empty %}- [the state of the work, what is done, choices made and why]
{% endfor %}{% if notes.concerns %}
Your questions
{% for c in notes.concerns %}- You asked: {{ c }}
  [the answer]
{% endfor %}{% endif %}
What we will do
"""
        + _NOTES_PLAN
        + """{% if notes.amends %}
To make amends
{% for item in notes.amends %}- {{ item }}
{% endfor %}{% endif %}
Next step
{% if notes.checkin %}Let us check in on {{ notes.checkin.0 }} to review progress together.{% else %}I will call you on [day] to agree the plan with you.{% endif %}
"""
        + _SIGNATURE,
    ),
    Kind.CALL_RECAP: (
        "Recap of our call: {{ case.title }}",
        """Dear {{ contact.first_name|default:"there" }},

Thank you for making the time to talk today. As promised, here is what we discussed and agreed, so we both have the same record. I am sorry again that we let you down; this is how we are putting it right.

What we discussed
{% for c in notes.concerns %}- {{ c }}
{% empty %}- [the points raised]
{% endfor %}
What we agreed
"""
        + _NOTES_PLAN
        + """{% if notes.amends %}
Amends agreed
{% for item in notes.amends %}- {{ item }}
{% endfor %}{% endif %}
Next check-in
{% if notes.checkin %}{{ notes.checkin.0 }}{% else %}[date and time]{% endif %}

If I have missed or misread anything, please tell me and I will correct it.
"""
        + _SIGNATURE,
    ),
    Kind.BUDGET_NOTE: (
        "{% if budget %}{{ budget.name }}: {{ budget.percentage }}% of the budget used{% else %}Budget update{% endif %}",
        """Dear {{ contact.first_name|default:"there" }},

A short note so that nothing about the budget comes as a surprise.
{% if budget %}
{{ budget.name }}: {{ budget.used }} of {{ budget.total }} {{ budget.unit }} used so far ({{ budget.percentage }}%), {{ budget.remaining }} {{ budget.unit }} remaining{% if budget.due %}, with the work due on {{ budget.due }}{% endif %}.
{% else %}
[budget used, total and what remains]
{% endif %}
What the remaining budget covers
"""
        + _NOTES_PLAN
        + """
If you would like to change the scope or the budget before it runs out, let us agree it now. I would rather talk it through than have you find out at invoice time.
"""
        + _SIGNATURE,
    ),
    Kind.CHANGE_IMPACT: (
        "Your change request: cost and schedule before we start",
        """Dear {{ contact.first_name|default:"there" }},

Thank you for the change request. Before we start any work on it, here is what it would mean, so the decision is yours with the full picture.

The change
- [what was asked]

Estimate from the delivery team
- Cost: [amount]
- Schedule: [effect on dates]
{% if budget %}- Budget so far: {{ budget.used }} of {{ budget.total }} {{ budget.unit }} used ({{ budget.percentage }}%)
{% endif %}
Your options
- Go ahead as estimated
- Adjust the scope: [alternative]
- Leave it for now

We will not start until you tell us which you prefer.
"""
        + _SIGNATURE,
    ),
    Kind.HANDOFF_INTRO: (
        "{{ case.title }}: who is helping you while I am away",
        """Dear {{ contact.first_name|default:"there" }},

I want to make sure you are never left waiting. From [date] until [date], {% if backup %}{{ backup.name }}{% else %}[name]{% endif %} will be your point of contact for this work. They have everything: the state of the work, the history, and every promise we have made to you.
{% if notes.plan %}
What is in progress
"""
        + _NOTES_PLAN
        + """{% endif %}{% if notes.checkin %}
Our next check-in on {{ notes.checkin.0 }} stays in place.
{% endif %}
You can reach {% if backup %}{{ backup.first_name }}{% if backup.email %} at {{ backup.email }}{% else %} by replying to this email{% endif %}{% else %}[them] at [email]{% endif %}.

{{ owner.name }}""",
    ),
    Kind.CHECKIN_INVITATION: (
        "Check-in{% if next_checkin %} on {{ next_checkin.when }}{% endif %}: {{ case.title }}",
        """Dear {{ contact.first_name|default:"there" }},

I would like to invite you to our next check-in{% if next_checkin %} on {{ next_checkin.when }}{% else %} on [date and time]{% endif %}. It is your chance to tell us how things really feel from your side.

Agenda
1. What is going well{% for p in notes.positives %}
   - {{ p }}{% endfor %}
2. Where things stand{% for item in notes.state %}
   - {{ item }}{% endfor %}
3. How we move forward{% for item in notes.plan %}
   - {{ item }}{% endfor %}
4. When we next check in
5. Milestones{% for m in milestones %}
   - {{ m.title }}{% if m.due %} ({{ m.due }}){% endif %}{% endfor %}

If there is anything you would like to add, just reply.
"""
        + _SIGNATURE,
    ),
    Kind.FREE: (
        "{{ case.title }}",
        """Dear {{ contact.first_name|default:"there" }},

"""
        + _SIGNATURE,
    ),
}
