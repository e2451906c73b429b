"""Draw the app icon (a speech bubble with a spark) into ``<out>/assist.{png,ico,icns}``.

Drawn with Qt at build time, so no binary icon is committed; the .ico and .icns are written by
Qt's own image plugins (qico, qicns). Usage: ``python packaging/make_icon.py build/icon``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath  # noqa: E402

SIZE = 1024


def draw(size: int = SIZE) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 100.0
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#2563eb"))  # rounded square background
    p.drawRoundedRect(QRectF(4 * s, 4 * s, 92 * s, 92 * s), 20 * s, 20 * s)
    bubble = QPainterPath()  # the speech bubble with its tail
    bubble.addRoundedRect(QRectF(18 * s, 22 * s, 64 * s, 44 * s), 12 * s, 12 * s)
    tail = QPainterPath()
    tail.moveTo(QPointF(30 * s, 60 * s))
    tail.lineTo(QPointF(26 * s, 80 * s))
    tail.lineTo(QPointF(46 * s, 62 * s))
    tail.closeSubpath()
    p.setBrush(QColor("#ffffff"))
    p.drawPath(bubble.united(tail))
    spark = QPainterPath()  # a four-pointed spark: the suggestion
    cx, cy, r, w = 50 * s, 44 * s, 14 * s, 3.5 * s
    spark.moveTo(QPointF(cx, cy - r))
    spark.lineTo(QPointF(cx + w, cy - w))
    spark.lineTo(QPointF(cx + r, cy))
    spark.lineTo(QPointF(cx + w, cy + w))
    spark.lineTo(QPointF(cx, cy + r))
    spark.lineTo(QPointF(cx - w, cy + w))
    spark.lineTo(QPointF(cx - r, cy))
    spark.lineTo(QPointF(cx - w, cy - w))
    spark.closeSubpath()
    p.setBrush(QColor("#f59e0b"))
    p.drawPath(spark)
    p.end()
    return img


def main(out: Path) -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    out.mkdir(parents=True, exist_ok=True)
    img = draw()
    small = img.scaled(256, 256, mode=Qt.TransformationMode.SmoothTransformation)
    for name, image in (("assist.png", img), ("assist.ico", small), ("assist.icns", img)):
        if not image.save(str(out / name)):
            print(f"make_icon: could not write {out / name}", file=sys.stderr)
            return 1
    print(f"make_icon: wrote {out}/assist.{{png,ico,icns}}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "build/icon")))
