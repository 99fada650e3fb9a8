from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="whatsapp-template-sync",
        defaults={
            "func": "channels_whatsapp.tasks.sync_templates",
            "schedule_type": "D",  # daily
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="whatsapp-template-sync").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("channels_whatsapp", "0003_messagetemplate"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
