from django.conf import settings

from research_governance import celery_app


def test_the_celery_app_takes_its_configuration_from_django_settings():
    assert celery_app.main == "research_governance"
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.broker_transport_options["visibility_timeout"] >= 3600


def test_with_redis_configured_tasks_go_to_the_broker_not_inline():
    # `make test` sets REDIS_URL, as production does; `make run` leaves it unset (inline tasks).
    # (The suite's fixtures run tasks inline; the configuration is what production gets.)
    assert settings.REDIS_URL.startswith("redis://")
    assert celery_app.conf.broker_url == settings.REDIS_URL
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
