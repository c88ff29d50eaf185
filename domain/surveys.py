"""The satisfaction surveys: two questions, three answers each (e-service regulation,
appendix 7, after a certificate is issued; the standards' indicators 4.3 and 4.4 after a
complaint is answered), and one question after a visit is served (staff courtesy, the
standards' indicator 5.1). The answers are stored by these keys."""

from __future__ import annotations

SURVEY_QUESTIONS = (1, 2)
SURVEY_ANSWERS = ("not_satisfied", "partly", "satisfied")
VISIT_QUESTIONS = (1,)  # after a visit: the staff's courtesy
SATISFIED = "satisfied"  # the one answer the indicators count as satisfied

# Which survey question measures which indicator: (what was asked about, question) -> code.
SURVEY_INDICATORS = {
    ("case", 1): "2.1",  # the quality of the process and its result
    ("case", 2): "3.1",  # the information about the procedure
    ("complaint", 1): "4.3",  # the complaint procedure
    ("complaint", 2): "4.4",  # the time the review took
    ("visit", 1): "5.1",  # the staff's courtesy
}
