"""A bundle is validated before the write transaction: a large item never holds the lock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from garante.domain.errors import InvalidBundle
from garante.service.app import Garante


def test_an_invalid_bundle_is_refused_while_another_writer_holds_the_lock(
    world: Garante,
) -> None:
    """Refused without waiting for the writer lock: validation happens before it is asked."""
    bundle = {"type": "bundle", "id": "bundle--x", "objects": [{"type": "nonsense"}]}
    with ThreadPoolExecutor(1) as pool:
        with world.sessions() as session, session.begin():
            session.connection()  # the writer lock, held until this block ends
            future = pool.submit(
                world.add_item,
                "bad",
                title="Bad",
                category="maritime-interdiction",
                region="caribbean",
                tlp="amber",
                originator="dipol",
                bundle=bundle,
            )
            refused = future.exception(timeout=20)  # a call queued behind the lock never returns
        assert isinstance(refused, InvalidBundle)
    assert "bad" not in {item.id for item in world.items()}
