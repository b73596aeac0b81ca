"""Data: windows over series, temporal splits, scaling, the data sets.

Nothing here builds a model. `windows`, `splits`, `scaling`, `datasets` and
`csvfile` (its chunked CSV reader) need numpy only; `pydataset` (a
`keras.utils.PyDataset`) imports Keras; `panel` (many series in a long
table) imports pandas when a table is read.
"""

from keras_seqlab.data.datasets import SeriesData
from keras_seqlab.data.datasets import load_csv
from keras_seqlab.data.datasets import load_weather
from keras_seqlab.data.datasets import weather_cities
from keras_seqlab.data.order import RowsSorted
from keras_seqlab.data.panel import Panel
from keras_seqlab.data.panel import load_panel
from keras_seqlab.data.panel import panel_from_frame
from keras_seqlab.data.pydataset import WindowedSeries
from keras_seqlab.data.scaling import Scaler
from keras_seqlab.data.splits import temporal_split
from keras_seqlab.data.synthetic import synthetic_series
from keras_seqlab.data.windows import make_windows
from keras_seqlab.data.windows import split_gap
from keras_seqlab.data.windows import window_count

__all__ = [
    "Panel",
    "RowsSorted",
    "Scaler",
    "SeriesData",
    "WindowedSeries",
    "load_csv",
    "load_panel",
    "load_weather",
    "make_windows",
    "panel_from_frame",
    "split_gap",
    "synthetic_series",
    "temporal_split",
    "weather_cities",
    "window_count",
]
