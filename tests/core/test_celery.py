from django.conf import settings

from research_governance import celery_app
from research_governance.notifications import tasks
from research_governance.notifications.services import DeliveryFailed


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


def test_the_beat_schedule_runs_the_outbox_often_and_the_digests_and_reminders_daily():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    redispatch = schedule["research_governance.notifications.tasks.redispatch_pending"]
    assert len(redispatch.minute) >= 6  # at least every ten minutes
    digests = schedule["research_governance.notifications.tasks.send_digests"]
    reminders = schedule["research_governance.reminders.tasks.scan_reminders"]
    for daily in (digests, reminders):
        assert len(daily.hour) == 1
        assert len(daily.minute) == 1
    assert next(iter(reminders.hour)) < 8  # early morning, institution time
    assert celery_app.conf.timezone == settings.TIME_ZONE


def test_no_task_waits_longer_than_the_broker_keeps_a_message_unacknowledged():
    """A retry waits in Redis; waiting longer than visibility_timeout would make Redis hand it out twice."""
    celery_app.loader.import_default_modules()
    visibility = celery_app.conf.broker_transport_options["visibility_timeout"]
    ours = [task for name, task in celery_app.tasks.items() if name.startswith("research_governance.")]
    assert ours
    for task in ours:
        if getattr(task, "autoretry_for", ()):
            assert task.max_retries is not None, task.name
            assert getattr(task, "retry_backoff_max", 600) < visibility, task.name
    assert celery_app.conf.task_time_limit
    assert celery_app.conf.task_soft_time_limit
    assert celery_app.conf.task_soft_time_limit < celery_app.conf.task_time_limit < visibility


def test_the_outbox_retries_with_exponential_backoff_and_jitter():
    for task in (tasks.deliver_notifications, tasks.send_digest):
        assert DeliveryFailed in task.autoretry_for
        assert task.retry_backoff
        assert task.retry_jitter
        assert task.max_retries == tasks.MAX_RETRIES
        assert task.acks_late
