"""kp_ext.utils.progress.track: mmengine's ProgressBar around a loop."""
import io

from kp_ext.utils.progress import track


def test_counts_every_item_and_ends_the_line():
    buf = io.StringIO()
    assert list(track(range(5), file=buf, min_interval=0)) == [0, 1, 2, 3,
                                                                4]
    text = buf.getvalue()
    assert '5/5' in text and 'ETA' in text and text.endswith('\n')


def test_throttled_updates_still_reach_the_total():
    buf = io.StringIO()
    list(track(range(1000), file=buf, min_interval=3600))
    text = buf.getvalue()
    # the start line and one final update, not 1000 redraws
    assert text.count('\r') == 1 and '1000/1000' in text


def test_no_bar_for_a_single_item_and_a_count_without_total():
    buf = io.StringIO()
    assert list(track([7], file=buf)) == [7]
    assert buf.getvalue() == ''
    buf = io.StringIO()
    assert list(track(iter('abc'), file=buf, min_interval=0)) == list('abc')
    assert 'completed: 3' in buf.getvalue()


def test_an_early_stop_still_ends_the_line():
    buf = io.StringIO()
    for i in track(range(10), file=buf, min_interval=0):
        if i == 3:
            break
    assert buf.getvalue().endswith('\n') and '3/10' in buf.getvalue()
