"""The satisfaction surveys: two questions, three answers each. After a certificate is issued
each service asks what its own standard measures: the e-service regulation its appendix 7
survey, a paper standard its indicators 2.1 and 3.1 (satisfaction with the process and with
the information about the procedure); after a complaint is answered, the standards'
indicators 4.3 and 4.4; after a visit is served, one question on the staff's courtesy
(indicator 5.1). The answers are stored by these keys."""

from __future__ import annotations

from collections.abc import Mapping

from domain.catalog import IndicatorName, Standard, Text

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

# The indicators a paper standard measures by asking its users, in the order asked.
SURVEYED_INDICATORS = ("2.1", "3.1")


def survey_questions(standard: Standard, indicators: Mapping[str, IndicatorName]) -> list[Text]:
    """The questions asked after ``standard``'s service is issued (one per SURVEY_QUESTIONS)."""
    if standard.survey:
        return [question.text for question in standard.survey]
    measured = {row.code for row in standard.quality}
    return [question for code in SURVEYED_INDICATORS
            if code in measured and (question := indicators[code].question) is not None]
