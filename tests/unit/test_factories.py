"""Every model has a factory (CONVENTIONS.md), and each one makes a row the database takes."""

from __future__ import annotations

import factory
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Base
from tests import factories

MODELS = sorted((mapper.class_ for mapper in Base.registry.mappers), key=lambda c: c.__name__)
FACTORIES = {
    f._meta.model: f
    for f in vars(factories).values()
    if isinstance(f, type) and issubclass(f, factory.Factory) and f._meta.model is not None
}


def test_every_model_has_a_factory():
    missing = [model.__name__ for model in MODELS if model not in FACTORIES]
    assert not missing, f"models without a factory in tests/factories.py: {missing}"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_each_factory_saves_a_valid_row(app, model):
    made = FACTORIES[model]()
    db.session.expire_all()
    assert db.session.get(model, made.id) is not None
    assert db.session.scalar(select(func.count()).select_from(model)) >= 1
