"""Case keys are strings (issue 19): ItemResult.case and Attempt.case, backfilled
from today's item numbers ("7" is the key of item 7). ItemResult.number stays as
the display order; Attempt.number gives way to Attempt.case."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    for name in ("ItemResult", "Attempt"):
        model = apps.get_model("certify", name)
        for pk, number in model.objects.values_list("pk", "number").iterator():
            model.objects.filter(pk=pk).update(case=str(number))


def restore(apps, schema_editor):
    """Back to numbers: keys that are not numbers cannot go back."""
    for name in ("ItemResult", "Attempt"):
        model = apps.get_model("certify", name)
        for pk, case in model.objects.values_list("pk", "case").iterator():
            model.objects.filter(pk=pk).update(number=int(case) if case.isdigit() else 0)


class Migration(migrations.Migration):
    dependencies = [
        ("certify", "0004_item_notes"),
    ]

    operations = [
        migrations.AddField(
            model_name="itemresult",
            name="case",
            field=models.CharField(default="", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="attempt",
            name="case",
            field=models.CharField(default="", max_length=40),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="attempt",
            name="number",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(backfill, restore),
        migrations.RemoveConstraint(model_name="itemresult", name="one_result_per_item"),
        migrations.AddConstraint(
            model_name="itemresult",
            constraint=models.UniqueConstraint(fields=("session", "case"), name="one_result_per_case"),
        ),
        migrations.RemoveConstraint(model_name="attempt", name="one_attempt_number"),
        migrations.AlterModelOptions(name="attempt", options={"ordering": ["session", "case", "n"]}),
        migrations.RemoveField(model_name="attempt", name="number"),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(fields=("session", "case", "n"), name="one_attempt_n_per_case"),
        ),
    ]
