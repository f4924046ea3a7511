from setuptools import find_packages, setup


def readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


version = {}
with open('kp_ext/version.py') as f:
    exec(f.read(), version)

setup(
    name='kp_ext',
    version=version['__version__'],
    description='Keypoint detection components on mmengine/mmcv: Stacked '
    'Hourglass, OpenPose (Part Affinity Fields), Factorized Spatial '
    'Embeddings',
    long_description=readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'configs', 'tools')),
    python_requires='>=3.9',
    install_requires=[
        'torch>=2.1',
        'mmengine>=0.10.3,<1.0',
        # the same ``mmcv`` package without compiled ops; kp_ext never
        # imports mmcv.ops. mmcv 2.1.x (MMPose 1.3) and 2.2.x both work.
        'mmcv-lite>=2.1.0,<2.3.0',
        'numpy',
        'scipy',
        'matplotlib',
        'xtcocotools>=1.14',
    ],
    extras_require={'tests': ['pytest']},
    license='Apache License 2.0',
)
