import pytest

from tests import factories


@pytest.mark.django_db
def test_factories_build_every_state():
    factories.AwaitingSignoffWarningFactory()
    factories.ProposedBlockFactory()
    factories.UnderReviewAppealFactory()
    factories.SentWarningFactory()
