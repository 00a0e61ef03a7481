from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chargers", "0004_drop_unread_frame_ts_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="charger",
            name="offline_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
