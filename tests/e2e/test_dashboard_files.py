"""The dashboard's file links with hostile names: the download answers whatever the name, its
Content-Disposition one header line that names the file safely (RFC 6266 / 5987)."""

from __future__ import annotations

import aiohttp
from aiohttp.multipart import content_disposition_filename, parse_content_disposition
from sqlalchemy import update

from db.models import EvidenceFile
from tests.e2e.test_curator_flows import _setup, _start_done
from tests.e2e.test_dashboard import page_for, settings  # noqa: F401  (the dashboard's settings)
from tests.harness import World


async def test_a_file_named_with_cr_lf_and_quotes_downloads(world: World) -> None:
    alice, olga, school = await _setup(world)
    await _start_done(alice)
    payload = b"%PDF-1.4 act"
    await alice.upload(("акт.pdf", payload))
    await alice.expect_reply("Файлов: 1")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    # Telegram passes on whatever name the sender's client gave (the emulator's own HTTP client
    # refuses to send CR/LF, so the name is set where the bot stored it).
    hostile = 'акт"\r\nSet-Cookie: x=1\\.pdf'
    async with world.app.session_factory() as session, session.begin():
        await session.execute(update(EvidenceFile).values(file_name=hostile))
    page = await page_for(world, olga)
    plan_id = (await page.ok("api/plans"))["plans"][0]["id"]
    matrix = await page.ok(f"api/matrix?plan={plan_id}")
    activity = matrix["columns"][matrix["rows"][0]["cells"].index("s")]["id"]
    (file,) = (await page.ok(f"api/card?activity={activity}&school={school}"))["files"]
    assert file["name"] == hostile  # the card shows the name as sent
    origin = f"http://127.0.0.1:{world.app.web_port}"
    async with aiohttp.ClientSession() as http, http.get(origin + file["url"]) as response:
        assert response.status == 200 and await response.read() == payload
        assert "Set-Cookie" not in response.headers and not response.cookies
        kind, params = parse_content_disposition(response.headers["Content-Disposition"])
    assert kind == "attachment"
    assert content_disposition_filename(params, "filename") == "акт_Set-Cookie_ x=1_.pdf"
